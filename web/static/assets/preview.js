// What a publish (or a rollback) will do: the server's preview (POST
// /api/v1/preview) rendered in words, per schedule: "closed Thu 25 Dec
// 08:00–17:00, was open". Shared by the Publish page and History.

import {h} from './dom.js';
import {fmtDate, parseStamp} from './time.js';

const pad = (n) => String(n).padStart(2, '0');

function stateWord(st) {
  if (!st) return 'not there (404)';
  if (st.isOpen) return 'open';
  return st.closedReason && st.closedReason !== 'closed' ? `closed (${st.closedReason})` : 'closed';
}

// fmtRange: "Thu 25 Dec 08:00–17:00", "Thu 25 Dec 17:00 – Fri 26 Dec 08:00",
// whole days "Thu 25 Dec" or "Thu 24 Dec – Sat 26 Dec".
export function fmtRange(start, end) {
  const a = parseStamp(start), b = parseStamp(end);
  if (!a || !b) return `${start} – ${end}`;
  const ca = `${pad(a.hh)}:${pad(a.mm)}`, cb = `${pad(b.hh)}:${pad(b.mm)}`;
  const da = fmtDate(a.date, {year: false});
  if (ca === '00:00' && cb === '00:00') {
    const last = new Date(Date.UTC(b.y, b.mo - 1, b.d - 1)).toISOString().slice(0, 10);
    return last === a.date ? da : `${da} – ${fmtDate(last, {year: false})}`;
  }
  if (a.date === b.date) return `${da} ${ca}–${cb}`;
  if (cb === '00:00' && new Date(Date.UTC(a.y, a.mo - 1, a.d + 1)).toISOString().slice(0, 10) === b.date) return `${da} ${ca}–24:00`;
  return `${da} ${ca} – ${fmtDate(b.date, {year: false})} ${cb}`;
}

// describeDifference: "closed Thu 25 Dec 08:00–17:00, was open".
export function describeDifference(d) {
  return `${stateWord(d.after)} ${fmtRange(d.start, d.end)}, was ${stateWord(d.before)}`;
}

const MAX_LISTED = 8;

// previewList renders the schedules of a preview answer that change:
// names, what changes, and for a removed name its recent callers.
export function previewList(p, {id = 'preview-list', renamed = []} = {}) {
  const changed = (p.schedules || []).filter((s) => s.change !== 'unchanged');
  if (!changed.length) return h('p', {class: 'muted', id}, `No schedule answers differently in the next ${days(p)} days.`);
  const renamedTo = new Map(renamed.map((r) => [r.from, r.to]));
  const renamedFrom = new Map(renamed.map((r) => [r.to, r.from]));
  return h('ul', {class: 'preview', id}, changed.map((s) => {
    let head;
    if (s.change === 'added') head = renamedFrom.has(s.name) ? `new name of “${renamedFrom.get(s.name)}”` : 'new schedule';
    else if (s.change === 'removed') head = renamedTo.has(s.name) ? `renamed to “${renamedTo.get(s.name)}”: the old name answers 404` : 'removed: its name answers 404';
    else head = s.differences.length ? 'answers change' : `changed, with no different answer in the next ${days(p)} days`;
    const diffs = s.change === 'changed' ? s.differences : [];
    return h('li', {class: `pv pv-${s.change}`, dataset: {name: s.name}},
      h('strong', null, s.name), ' — ', head,
      s.change === 'removed' && s.recentRequests > 0
        ? h('span', {class: 'tag error'}, `${s.recentRequests} request${s.recentRequests === 1 ? '' : 's'} in 24 h`) : null,
      diffs.length ? h('ul', {class: 'diffs'},
        diffs.slice(0, MAX_LISTED).map((d) => h('li', null, describeDifference(d))),
        diffs.length > MAX_LISTED || s.truncated ? h('li', {class: 'muted'}, `… and ${s.truncated ? 'more' : diffs.length - MAX_LISTED + ' more'}`) : null) : null);
  }));
}

function days(p) {
  const a = Date.parse(p.from), b = Date.parse(p.to);
  return Number.isFinite(a) && Number.isFinite(b) ? Math.round((b - a) / 86400000) : 14;
}

// removedCallers lists the removed names that callers still ask for.
export function removedCallers(p) {
  return (p.schedules || []).filter((s) => s.change === 'removed' && s.recentRequests > 0);
}

// warningList renders lint warnings (they never block a publish).
export function warningList(warnings, id = 'warning-list') {
  if (!warnings || !warnings.length) return null;
  return h('ul', {class: 'warnings', id}, warnings.map((w) => h('li', null, w.path ? h('code', null, w.path) : null, w.path ? ': ' : '', w.message)));
}
