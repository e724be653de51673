import {h, mount} from '../dom.js';
import {ApiError} from '../api.js';
import {describeChange} from '../diff.js';
import {doc, draftChanges, editDoc, errorsFor, isAdmin, reportError, setManualClose, state, statusOf} from '../state.js';
import {fmtLocal} from '../time.js';
import {confirmDialog, emptyState, keepFocus, link, nextChange, notify, onChange, pageHeader, statusBadge} from '../ui.js';

// rowsOf lists the working document's schedules, then published schedules
// the draft removed.
function rowsOf() {
  const d = doc();
  const rows = d.schedules.map((s) => ({name: s.name, sched: s, live: statusOf(s.name)}));
  const inDoc = new Set(d.schedules.map((s) => s.name));
  for (const s of (state.statuses ? state.statuses.schedules : [])) {
    if (!inDoc.has(s.name)) rows.push({name: s.name, sched: null, live: s});
  }
  return rows;
}

function draftTag(name, changes) {
  const c = changes.find((x) => x.kind === 'schedule' && x.key === name);
  if (!c) return null;
  const text = c.op === 'added' ? 'new in draft' : c.op === 'removed' ? 'deleted in draft' : 'changed in draft';
  return h('span', {class: 'tag draft', title: describeChange(c)}, text);
}

function manualSwitch(row) {
  const live = row.live;
  if (!live) return h('span', {class: 'muted'}, '—');
  const closed = !!live.manualClose;
  if (!isAdmin()) return h('span', null, closed ? 'Closed manually' : 'No');
  const btn = h('button', {type: 'button', class: 'switch', role: 'switch', 'aria-checked': String(closed),
    'aria-label': `Manual close for ${row.name}`, dataset: {focusKey: 'manual:' + row.name, action: 'manual', name: row.name},
    title: closed ? 'Manually closed: click to reopen now' : 'Click to close this schedule now (takes effect immediately)'},
  h('span', {class: 'track', 'aria-hidden': 'true'}, h('span', {class: 'thumb'})),
  h('span', {class: 'switch-text'}, closed ? 'Closed' : 'Off'));
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const res = await setManualClose(row.name, !closed);
      notify(!closed ? `“${row.name}” is closed now (manual close, version ${res.version}).`
        : `“${row.name}” is no longer manually closed (version ${res.version}).`);
    } catch (e) {
      notify(e instanceof ApiError ? e.message : String(e), 'error');
      btn.disabled = false;
    }
  });
  return btn;
}

function statusCell(row) {
  const st = row.live ? row.live.status : null;
  const parts = [statusBadge(st)];
  if (st && !st.isOpen && st.holiday) parts.push(h('span', {class: 'holiday'}, st.holiday));
  if (st && state.statusesAt) parts.push(h('span', {class: 'asof', title: `Evaluated at ${st.at}`}, `as of ${fmtLocal(state.statusesAt, {seconds: true, date: false})}`));
  return parts;
}

export function schedulesView() {
  const tbody = h('tbody');
  const admin = isAdmin();
  const table = h('table', {class: 'grid schedules', id: 'schedules-table'},
    h('caption', {class: 'sr-only'}, 'Schedules with their live status'),
    h('thead', null, h('tr', null,
      h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Status'), h('th', {scope: 'col'}, 'Next change'),
      h('th', {scope: 'col'}, 'Time zone'), h('th', {scope: 'col'}, 'Manual close'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
    tbody);
  const body = h('div');
  const el = h('section', {class: 'view'},
    pageHeader('Schedules', admin ? h('a', {class: 'button primary', href: '#/schedules/new', id: 'new-schedule'}, 'New schedule') : null),
    h('p', {class: 'lead'}, 'Live status of every schedule. Manual close takes effect at once; other edits become a draft until you publish.'),
    body);

  async function remove(name) {
    const ok = await confirmDialog({title: `Delete “${name}”?`, message: 'The schedule is removed from your draft. It stays live until you publish.', confirm: 'Delete', danger: true});
    if (!ok) return;
    editDoc((d) => { d.schedules = d.schedules.filter((s) => s.name !== name); });
    notify(`Deleted “${name}” in the draft. Publish to apply.`);
  }

  function row(r, changes) {
    const sched = r.sched;
    const st = r.live ? r.live.status : null;
    const tz = sched ? sched.timeZone : r.live.timeZone;
    const errs = errorsFor('schedule', r.name);
    return h('tr', {dataset: {name: r.name, live: String(!!r.live)}, class: [sched ? '' : 'removed', errs.length ? 'has-error' : ''].join(' ')},
      h('th', {scope: 'row', 'data-label': 'Name'},
        sched ? h('a', {href: link('schedules', 'edit', r.name), class: 'name'}, r.name) : h('span', {class: 'name'}, r.name),
        ' ', draftTag(r.name, changes),
        errs.length ? h('span', {class: 'tag error'}, `${errs.length} problem${errs.length > 1 ? 's' : ''}`) : null),
      h('td', {'data-label': 'Status', class: 'cell-status'}, statusCell(r)),
      h('td', {'data-label': 'Next change', class: 'cell-next'}, st ? nextChange(st) : h('span', {class: 'muted'}, 'after publish')),
      h('td', {'data-label': 'Time zone'}, tz),
      h('td', {'data-label': 'Manual close', class: 'cell-manual'}, manualSwitch(r)),
      h('td', {class: 'row-actions'},
        r.live ? h('a', {href: link('week', r.name), 'aria-label': `Week view of ${r.name}`}, 'Week') : null,
        r.live ? h('a', {href: '#/simulate?name=' + encodeURIComponent(r.name), 'aria-label': `Simulate ${r.name}`}, 'Simulate') : null,
        sched ? h('a', {href: link('schedules', 'edit', r.name), 'aria-label': `${admin ? 'Edit' : 'View'} ${r.name}`}, admin ? 'Edit' : 'View') : null,
        admin && sched ? h('a', {href: link('schedules', 'copy', r.name), 'aria-label': `Copy ${r.name}`}, 'Copy') : null,
        admin && sched ? h('button', {type: 'button', class: 'link-button danger', 'aria-label': `Delete ${r.name}`,
          dataset: {focusKey: 'del:' + r.name}, onclick: () => remove(r.name).catch(reportError)}, 'Delete') : null));
  }

  function render() {
    const rows = rowsOf();
    if (!rows.length) {
      mount(body, emptyState('No schedules yet.', admin ? h('a', {class: 'button primary', href: '#/schedules/new'}, 'Create a schedule') : null));
      return;
    }
    const changes = draftChanges();
    keepFocus(el, () => {
      mount(tbody, rows.map((r) => row(r, changes)));
      if (body.firstChild !== table) mount(body, table);
    });
  }

  // Live updates patch the status cells only, so focus and scroll stay.
  function patchStatuses() {
    const rows = rowsOf();
    const known = new Map([...tbody.querySelectorAll('tr')].map((tr) => [tr.dataset.name, tr.dataset.live]));
    if (rows.length !== known.size || rows.some((r) => known.get(r.name) !== String(!!r.live))) {
      render();
      return;
    }
    for (const r of rows) {
      const tr = tbody.querySelector(`tr[data-name="${CSS.escape(r.name)}"]`);
      if (!tr) continue;
      mount(tr.querySelector('.cell-status'), statusCell(r));
      const st = r.live ? r.live.status : null;
      tr.querySelector('.cell-next').textContent = st ? nextChange(st) : 'after publish';
      const cell = tr.querySelector('.cell-manual');
      const sw = cell.querySelector('[role="switch"]');
      const want = String(!!(r.live && r.live.manualClose));
      if (!sw || sw.getAttribute('aria-checked') !== want || sw.disabled) {
        keepFocus(cell, () => mount(cell, manualSwitch(r)));
      }
    }
  }

  // Full redraws only when the document, the draft or the errors change.
  const redraw = onChange(() => JSON.stringify([doc(), draftChanges().map((c) => c.kind + c.key + c.op), state.serverErrors.length,
    rowsOf().map((r) => r.name + !!r.live)]), render);
  redraw();
  return {
    el,
    update(topic) {
      if (topic === 'statuses') patchStatuses();
      else redraw();
    },
  };
}
