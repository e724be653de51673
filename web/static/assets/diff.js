// Comparing documents: what changed between two configs (per rule, per
// schedule), re-applying a draft on a newer version, and a line diff of
// pretty JSON for the history view.

// canon is JSON with sorted keys, for equality tests.
export function canon(v) {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
  }
  return JSON.stringify(v === undefined ? null : v);
}

export const equal = (a, b) => canon(a) === canon(b);
export const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

function index(list, key) {
  const m = new Map();
  (list || []).forEach((x, i) => { if (x && x[key] !== undefined && !m.has(x[key])) m.set(x[key], {item: x, i}); });
  return m;
}

function changedFields(a, b) {
  const keys = new Set([...Object.keys(a || {}), ...Object.keys(b || {})]);
  return [...keys].filter((k) => canon(a[k]) !== canon(b[k])).sort();
}

// docChanges lists what differs from doc a to doc b:
// [{kind: 'rule'|'schedule', key, label, op: 'added'|'removed'|'changed', fields, before, after}]
export function docChanges(a, b) {
  const out = [];
  const kinds = [['rule', 'rules', 'id'], ['schedule', 'schedules', 'name']];
  for (const [kind, list, key] of kinds) {
    const A = index(a && a[list], key), B = index(b && b[list], key);
    for (const [k, {item}] of A) {
      if (!B.has(k)) out.push({kind, key: k, label: item.name || k, op: 'removed', fields: [], before: item, after: null});
      else {
        const after = B.get(k).item;
        const fields = changedFields(item, after);
        if (fields.length) out.push({kind, key: k, label: after.name || k, op: 'changed', fields, before: item, after});
      }
    }
    for (const [k, {item}] of B) {
      if (!A.has(k)) out.push({kind, key: k, label: item.name || k, op: 'added', fields: [], before: null, after: item});
    }
    // Order of the rules list of the document (not of a schedule).
    if (kind === 'rule') {
      const orderA = [...A.keys()].filter((k) => B.has(k)), orderB = [...B.keys()].filter((k) => A.has(k));
      if (orderA.join('\n') !== orderB.join('\n')) out.push({kind: 'document', key: 'rules', label: 'Order of the rules list', op: 'changed', fields: ['order'], before: null, after: null});
    }
  }
  return out;
}

// describeChange renders one change as a sentence.
export function describeChange(c) {
  const what = c.kind === 'rule' ? 'Rule' : c.kind === 'schedule' ? 'Schedule' : '';
  if (c.kind === 'document') return c.label + ' changed';
  const name = `“${c.label}”`;
  if (c.op === 'added') return `${what} ${name} added`;
  if (c.op === 'removed') return `${what} ${name} removed`;
  return `${what} ${name} changed (${c.fields.join(', ')})`;
}

// merge3 re-applies the changes made from oldBase to mine on top of
// newBase, field by field (a three-way merge): for each rule (by id) and
// schedule (by name), and each of its fields, the side that changed it
// wins; a field both sides changed differently is a conflict, where the
// draft's value is kept, except manualClose, where the published value is
// kept (an emergency close is operational state: a draft never undoes it
// silently). Top-level fields other than rules and schedules merge the
// same way, as whole values.
//
// It returns {doc, applied, theirs, conflicts}: the merged draft, the
// changes of mine re-applied, what others changed meanwhile, and the
// conflicts [{kind, key, label, field, mine, theirs, kept}].
export function merge3(oldBase, mine, newBase) {
  const applied = docChanges(oldBase, mine).filter((c) => c.kind !== 'document');
  const theirs = docChanges(oldBase, newBase).filter((c) => c.kind !== 'document');
  const doc = clone(newBase) || {};
  const conflicts = [];
  const absent = (v) => v === undefined;
  // Top-level members.
  for (const k of new Set([...Object.keys(oldBase || {}), ...Object.keys(mine || {}), ...Object.keys(newBase || {})])) {
    if (k === 'rules' || k === 'schedules') continue;
    const b = (oldBase || {})[k], m = (mine || {})[k], t = (newBase || {})[k];
    if (equal(m, b) || equal(m, t)) continue;
    if (!equal(t, b)) conflicts.push({kind: 'document', key: k, label: k, field: k, mine: m, theirs: t, kept: 'mine'});
    if (absent(m)) delete doc[k];
    else doc[k] = clone(m);
  }
  for (const [kind, list, key] of [['rule', 'rules', 'id'], ['schedule', 'schedules', 'name']]) {
    const B = index(oldBase && oldBase[list], key), M = index(mine && mine[list], key);
    const out = (doc[list] = Array.isArray(doc[list]) ? doc[list] : []);
    const pos = (k) => out.findIndex((x) => x && x[key] === k);
    for (const c of applied.filter((x) => x.kind === kind)) {
      const b = B.has(c.key) ? B.get(c.key).item : undefined;
      const m = M.has(c.key) ? M.get(c.key).item : undefined;
      const i = pos(c.key);
      const t = i >= 0 ? out[i] : undefined;
      const label = (m && (m.name || m[key])) || (t && (t.name || t[key])) || c.key;
      if (equal(t, b)) { // theirs untouched: mine as is
        if (absent(m)) { if (i >= 0) out.splice(i, 1); }
        else if (i >= 0) out[i] = clone(m);
        else out.push(clone(m));
        continue;
      }
      if (equal(m, t)) continue;
      if (absent(m) || absent(t)) {
        // Removed on one side, changed on the other: the draft decides,
        // and says so.
        conflicts.push({kind, key: c.key, label, field: '', mine: m, theirs: t, kept: 'mine'});
        if (absent(m)) { if (i >= 0) out.splice(i, 1); }
        else out.push(clone(m));
        continue;
      }
      const merged = {};
      const base = b || {};
      for (const f of new Set([...Object.keys(base), ...Object.keys(m), ...Object.keys(t)])) {
        const fb = base[f], fm = m[f], ft = t[f];
        let v;
        if (equal(fm, fb)) v = ft;
        else if (equal(ft, fb) || equal(fm, ft)) v = fm;
        else {
          const kept = f === 'manualClose' ? 'theirs' : 'mine';
          conflicts.push({kind, key: c.key, label, field: f, mine: fm, theirs: ft, kept});
          v = kept === 'mine' ? fm : ft;
        }
        if (!absent(v)) merged[f] = clone(v);
      }
      // Keep the field order of the published item, new fields after.
      const ordered = {};
      for (const f of Object.keys(t)) if (f in merged) ordered[f] = merged[f];
      for (const f of Object.keys(merged)) if (!(f in ordered)) ordered[f] = merged[f];
      out[i] = ordered;
    }
  }
  return {doc, applied, theirs, conflicts};
}

// rebase is merge3 (kept for callers of the old name).
export const rebase = merge3;

// manualCloseChanges lists the schedules whose manualClose the draft
// changes relative to the published document: [{name, from, to}].
export function manualCloseChanges(published, draft) {
  const P = index(published && published.schedules, 'name');
  const out = [];
  for (const s of (draft && draft.schedules) || []) {
    const p = P.get(s.name);
    if (p && !!p.item.manualClose !== !!s.manualClose) out.push({name: s.name, from: !!p.item.manualClose, to: !!s.manualClose});
  }
  return out;
}

// renames pairs a removed schedule with an added one that is the same but
// for its name: [{from, to}].
export function renames(changes) {
  const removed = changes.filter((c) => c.kind === 'schedule' && c.op === 'removed');
  const added = changes.filter((c) => c.kind === 'schedule' && c.op === 'added');
  const out = [];
  const used = new Set();
  for (const r of removed) {
    const a = added.find((x) => !used.has(x.key) && equal({...x.after, name: ''}, {...r.before, name: ''}));
    if (a) {
      used.add(a.key);
      out.push({from: r.key, to: a.key});
    }
  }
  return out;
}

// lineDiff compares two arrays of lines: [{op: ' '|'-'|'+', text, a, b}]
// with 1-based line numbers a (old) and b (new).
export function lineDiff(a, b) {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf), B = b.slice(pre, b.length - suf);
  const out = [];
  for (let i = 0; i < pre; i++) out.push({op: ' ', text: a[i], a: i + 1, b: i + 1});
  const n = A.length, m = B.length;
  if (n * m > 4e6) {
    A.forEach((t, i) => out.push({op: '-', text: t, a: pre + i + 1}));
    B.forEach((t, j) => out.push({op: '+', text: t, b: pre + j + 1}));
  } else {
    // LCS table, from the end.
    const w = m + 1;
    const L = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        L[i * w + j] = A[i] === B[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && A[i] === B[j]) {
        out.push({op: ' ', text: A[i], a: pre + i + 1, b: pre + j + 1});
        i++; j++;
      } else if (i < n && (j === m || L[(i + 1) * w + j] >= L[i * w + j + 1])) {
        out.push({op: '-', text: A[i], a: pre + i + 1});
        i++;
      } else {
        out.push({op: '+', text: B[j], b: pre + j + 1});
        j++;
      }
    }
  }
  for (let k = 0; k < suf; k++) {
    out.push({op: ' ', text: a[a.length - suf + k], a: a.length - suf + k + 1, b: b.length - suf + k + 1});
  }
  return out;
}

// hunks keeps changed lines with `context` lines around them; gaps become
// {op: '…', skipped: n}.
export function hunks(lines, context = 3) {
  const keep = new Array(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.op !== ' ') for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (keep[i]) {
      if (skipped) out.push({op: '…', skipped});
      skipped = 0;
      out.push(l);
    } else skipped++;
  });
  if (skipped) out.push({op: '…', skipped});
  return out;
}

export function prettyLines(doc) {
  return JSON.stringify(doc, null, 2).split('\n');
}
