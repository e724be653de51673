import {h, mount, option} from '../dom.js';
import {ApiError, api} from '../api.js';
import {describeChange} from '../diff.js';
import {FIRST_PAGE, doc, draftChanges, editDoc, errorsFor, isAdmin, putStatuses, reportError, setManualClose, setStatusLoader,
  state, statusOf} from '../state.js';
import {fmtLocal} from '../time.js';
import {confirmDialog, emptyState, keepFocus, link, nextChange, notify, onChange, pageHeader, statusBadge} from '../ui.js';

// PAGE is how many schedules one request brings; more load as the list
// scrolls (the server pages: a config of 100,000 schedules never travels
// whole).
const PAGE = FIRST_PAGE;

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
  if (!row.live) return h('span', {class: 'status unknown'}, 'Not published');
  const parts = [statusBadge(st)];
  if (row.live.error) parts.push(h('span', {class: 'holiday error'}, row.live.error));
  if (st && !st.isOpen && st.holiday) parts.push(h('span', {class: 'holiday'}, st.holiday));
  if (st && state.statusesAt) {
    parts.push(h('span', {class: 'asof', title: `Evaluated at ${st.at} (schedule time)`},
      `as of ${fmtLocal(state.statusesAt, {seconds: true, date: false})} your time`));
  }
  return parts;
}

export function schedulesView(route) {
  const admin = isAdmin();
  const q0 = route.query;
  let query = {q: q0.get('q') || '', status: q0.get('status') || '', sort: q0.get('sort') === '-name' ? '-name' : 'name'};
  let names = []; // the published names loaded, in the server's order
  let total = 0;
  let next = '';
  let loading = false;
  let loaded = false;
  let error = '';
  let seq = 0; // drops answers of an older query

  const search = h('input', {type: 'search', id: 'sched-search', value: query.q, placeholder: 'Part of a name', autocomplete: 'off'});
  const statusSel = h('select', {id: 'sched-status', value: query.status},
    option('', 'Any status'), option('open', 'Open now'), option('closed', 'Closed now'), option('manual', 'Manually closed'), option('error', 'Errors'));
  statusSel.value = query.status;
  const sortSel = h('select', {id: 'sched-sort'}, option('name', 'Name A–Z'), option('-name', 'Name Z–A'));
  sortSel.value = query.sort;
  const countEl = h('p', {class: 'count-line muted', id: 'sched-count', 'aria-live': 'polite'});
  const more = h('button', {type: 'button', id: 'sched-more', hidden: true, onclick: () => loadMore().catch(reportError)}, 'Show more');
  const sentinel = h('div', {class: 'sentinel', 'aria-hidden': 'true'});

  const tbody = h('tbody');
  const table = h('table', {class: 'grid schedules', id: 'schedules-table'},
    h('caption', {class: 'sr-only'}, 'Schedules with their live status'),
    h('thead', null, h('tr', null,
      h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Status'), h('th', {scope: 'col'}, 'Next change (schedule’s time)'),
      h('th', {scope: 'col'}, 'Time zone'), h('th', {scope: 'col'}, 'Manual close'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
    tbody);
  const body = h('div', {id: 'schedules-body'}, h('p', {class: 'loading'}, 'Loading…'));
  const el = h('section', {class: 'view'},
    pageHeader('Schedules', admin ? h('a', {class: 'button primary', href: '#/schedules/new', id: 'new-schedule'}, 'New schedule') : null),
    h('p', {class: 'lead'}, 'Live status of every schedule. Manual close takes effect at once; other edits become a draft until you publish.'),
    h('form', {class: 'toolbar', role: 'search', onsubmit: (e) => e.preventDefault()},
      h('div', {class: 'tool'}, h('label', {for: 'sched-search'}, 'Search'), search),
      h('div', {class: 'tool'}, h('label', {for: 'sched-status'}, 'Status'), statusSel),
      h('div', {class: 'tool'}, h('label', {for: 'sched-sort'}, 'Sort'), sortSel)),
    countEl, body, more, sentinel);

  // rowsOf: schedules new in the draft (matching the search) first, then
  // the published ones loaded, with the draft's version of each.
  function rowsOf() {
    const d = doc();
    const inDoc = new Map(d.schedules.map((s) => [s.name, s]));
    const published = new Set(names);
    const rows = [];
    if (!query.status) {
      const q = query.q.toLowerCase();
      for (const s of d.schedules) {
        if (!state.base || (state.base.data.schedules || []).some((x) => x.name === s.name)) continue;
        if (published.has(s.name) || (q && !s.name.toLowerCase().includes(q))) continue;
        rows.push({name: s.name, sched: s, live: null});
      }
    }
    for (const n of names) rows.push({name: n, sched: inDoc.get(n) || null, live: statusOf(n)});
    return rows;
  }

  function params(cursor, limit) {
    return {limit, cursor, q: query.q, status: query.status, sort: query.sort === 'name' ? '' : query.sort};
  }

  // fresh is the first page fetched at start-up, when it answers this
  // query and is recent: no second round trip before the first rows.
  function fresh() {
    const f = state.firstPage;
    const plain = !query.q && !query.status && query.sort === 'name';
    return plain && f && Date.now() - f.at < 5000 && !(state.base && f.answer.version < state.base.version) ? f.answer : null;
  }

  async function loadFirst(useFresh) {
    const my = ++seq;
    loading = true;
    try {
      const p = (useFresh && fresh()) || await api.schedulesPage(params('', PAGE));
      if (my !== seq) return;
      putStatuses(p.schedules, p.version);
      names = p.schedules.map((s) => s.name);
      total = p.total;
      next = p.next || '';
      error = '';
    } catch (e) {
      if (my !== seq) return;
      error = e.message;
    } finally {
      if (my === seq) {
        loading = false;
        loaded = true;
        render();
      }
    }
  }

  async function loadMore() {
    if (loading || !next) return;
    const my = seq;
    loading = true;
    try {
      const p = await api.schedulesPage(params(next, PAGE));
      if (my !== seq) return;
      putStatuses(p.schedules, p.version);
      const have = new Set(names);
      names = names.concat(p.schedules.map((s) => s.name).filter((n) => !have.has(n)));
      total = p.total;
      next = p.next || '';
      render();
    } finally {
      if (my === seq) loading = false;
    }
  }

  // The live refresh reloads the rows shown (up to 1000), same query.
  setStatusLoader(async () => {
    const my = seq;
    const p = await api.schedulesPage(params('', Math.min(1000, Math.max(PAGE, names.length))));
    if (my === seq && !loading) {
      names = p.schedules.map((s) => s.name);
      total = p.total;
      next = p.next || '';
    }
    return p;
  });

  let timer = null;
  const requery = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query = {q: search.value.trim(), status: statusSel.value, sort: sortSel.value};
      const qs = new URLSearchParams();
      if (query.q) qs.set('q', query.q);
      if (query.status) qs.set('status', query.status);
      if (query.sort !== 'name') qs.set('sort', query.sort);
      history.replaceState(null, '', '#/schedules' + (qs.toString() ? '?' + qs : ''));
      loadFirst();
    }, 200);
  };
  search.addEventListener('input', requery);
  statusSel.addEventListener('change', requery);
  sortSel.addEventListener('change', requery);

  async function remove(name) {
    const ok = await confirmDialog({title: `Delete “${name}”?`,
      message: 'The schedule is removed from your draft. It stays live until you publish; callers that still ask for it will then get 404 (and fail open).',
      confirm: 'Delete', danger: true});
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
    if (!loaded) return;
    if (error) {
      mount(body, h('p', {class: 'error', role: 'alert'}, error));
      return;
    }
    const rows = rowsOf();
    const filtered = query.q || query.status;
    countEl.textContent = filtered ? `${total} matching schedule${total === 1 ? '' : 's'}` + (names.length < total ? `, ${names.length} shown` : '')
      : `${total} published schedule${total === 1 ? '' : 's'}` + (names.length < total ? `, ${names.length} shown` : '');
    more.hidden = !next;
    if (!rows.length) {
      mount(body, filtered ? emptyState('No schedule matches.')
        : emptyState('No schedules yet.', admin ? h('a', {class: 'button primary', href: '#/schedules/new'}, 'Create a schedule') : null));
      return;
    }
    const changes = draftChanges();
    keepFocus(el, () => {
      mount(tbody, rows.map((r) => row(r, changes)));
      if (body.firstChild !== table) mount(body, table);
    });
    // For measurements (perf_test.go): when the first statuses were drawn.
    if (!marked && names.length) {
      marked = true;
      performance.mark('schedmgr:first-status');
    }
  }
  let marked = performance.getEntriesByName('schedmgr:first-status').length > 0;

  // Live updates patch the status cells only, so focus and scroll stay.
  function patchStatuses() {
    if (!loaded) return;
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

  // Infinite scroll: the sentinel below the table loads the next page.
  const io = 'IntersectionObserver' in window ? new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore().catch(() => {});
  }, {rootMargin: '400px'}) : null;
  if (io) io.observe(sentinel);

  const redraw = onChange(() => JSON.stringify([doc(), draftChanges().map((c) => c.kind + c.key + c.op), state.serverErrors.length,
    rowsOf().map((r) => r.name + !!r.live)]), render);
  loadFirst(true);
  return {
    el,
    update(topic) {
      if (topic === 'statuses') patchStatuses();
      else if (topic === 'base') {
        loadFirst(); // a new version: names may have come or gone
      } else redraw();
    },
    destroy() {
      if (io) io.disconnect();
      clearTimeout(timer);
      setStatusLoader(null);
      seq++;
    },
  };
}
