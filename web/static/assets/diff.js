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

// rebase re-applies the changes made from oldBase to mine on top of
// newBase. It returns {doc, applied, conflicts, theirs}: the new draft, the
// changes re-applied, the items both sides changed (the draft's version
// wins), and what others changed meanwhile.
export function rebase(oldBase, mine, newBase) {
  const applied = docChanges(oldBase, mine).filter((c) => c.kind !== 'document');
  const theirs = docChanges(oldBase, newBase).filter((c) => c.kind !== 'document');
  const doc = clone(newBase);
  doc.rules = doc.rules || [];
  doc.schedules = doc.schedules || [];
  const conflicts = [];
  const theirsByKey = new Map(theirs.map((c) => [c.kind + '\n' + c.key, c]));
  for (const c of applied) {
    const list = c.kind === 'rule' ? doc.rules : doc.schedules;
    const key = c.kind === 'rule' ? 'id' : 'name';
    const i = list.findIndex((x) => x[key] === c.key);
    const other = theirsByKey.get(c.kind + '\n' + c.key);
    if (other && !(c.op === 'removed' && other.op === 'removed') && !(c.after && other.after && equal(c.after, other.after))) {
      conflicts.push({mine: c, theirs: other});
    }
    if (c.op === 'removed') {
      if (i >= 0) list.splice(i, 1);
    } else if (i >= 0) {
      list[i] = clone(c.after);
    } else {
      list.push(clone(c.after));
    }
  }
  return {doc, applied, conflicts, theirs};
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
