import {field, h, mount} from '../dom.js';
import {api} from '../api.js';
import {searchCalendars} from '../calendars.js';
import {isAdmin, loadBase, loadCalendars, reportError, state} from '../state.js';
import {fmtDate, fmtLocal} from '../time.js';
import {emptyState, notify, pageHeader} from '../ui.js';

// MAX_CODES bounds the catalogue rows drawn at once (search narrows it).
const MAX_CODES = 30;

function fetchStatus(c) {
  if (!c.url) return h('span', {class: 'muted'}, 'uploaded');
  const f = c.fetch;
  if (!f) return h('span', {class: 'muted'}, 'not fetched by this replica yet');
  if (f.lastError) {
    return [h('span', {class: 'status closed reason-manual'}, 'failing'),
      h('span', {class: 'holiday'}, `${f.lastError}` + (f.lastSuccess ? ` · last good copy ${fmtLocal(f.lastSuccess)}` : ' · never fetched'))];
  }
  return [h('span', {class: 'status open'}, 'ok'), h('span', {class: 'holiday'}, `fetched ${fmtLocal(f.lastSuccess || f.lastAttempt)}`)];
}

// The Calendars page: the holiday codes a rule can use (searchable, with
// their dates), and the iCalendar calendars of the config — upload one,
// or give a URL the service fetches; refresh it and see how fetching
// goes.
export function calendarsView() {
  const admin = isAdmin();
  const icsBox = h('div', {id: 'ics-calendars'}, h('p', {class: 'loading'}, 'Loading…'));
  const codesBox = h('div', {id: 'holiday-codes-list'});
  const datesBox = h('div', {id: 'holiday-dates', 'aria-live': 'polite'});
  const search = h('input', {type: 'search', id: 'code-search', autocomplete: 'off', placeholder: 'Country, region or code'});
  const year = new Date().getFullYear();

  async function showDates(code) {
    mount(datesBox, h('p', {class: 'loading'}, 'Loading…'));
    try {
      const r = await api.holidays(code, year);
      mount(datesBox, h('section', {class: 'card', id: 'dates-card'}, h('h3', null, `${r.code}: ${r.holidays.length} public holidays in ${r.year}`),
        h('ul', {class: 'compact-list'}, r.holidays.map((d) => h('li', null, `${fmtDate(d.date)}: ${d.name}`)))));
    } catch (e) {
      mount(datesBox, h('p', {class: 'error', role: 'alert'}, e.message));
    }
  }

  function renderCodes() {
    const list = searchCalendars(search.value);
    mount(codesBox, list.length ? h('table', {class: 'grid compact', id: 'codes-table'},
      h('caption', {class: 'sr-only'}, 'Holiday calendar codes'),
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Code'), h('th', {scope: 'col'}, 'Calendar'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Dates')))),
      h('tbody', null, list.slice(0, MAX_CODES).map((c) => h('tr', {dataset: {code: c.code}},
        h('th', {scope: 'row', 'data-label': 'Code'}, h('code', null, c.code)),
        h('td', {'data-label': 'Calendar'}, c.name),
        h('td', {class: 'row-actions'}, h('button', {type: 'button', class: 'link-button', 'aria-label': `Dates in ${year}: ${c.name}`,
          onclick: () => showDates(c.code)}, `Dates in ${year}`)))))) : h('p', {class: 'muted'}, 'No calendar matches.'),
    list.length > MAX_CODES ? h('p', {class: 'hint'}, `${list.length - MAX_CODES} more: refine the search.`) : null);
  }
  search.addEventListener('input', renderCodes);

  function renderIcs() {
    const cals = (state.calendars && state.calendars.calendars) || [];
    mount(icsBox, cals.length ? h('table', {class: 'grid', id: 'ics-table'},
      h('caption', {class: 'sr-only'}, 'iCalendar calendars'),
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Calendar'), h('th', {scope: 'col'}, 'Source'), h('th', {scope: 'col'}, 'Fetching'),
        h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
      h('tbody', null, cals.map((c) => h('tr', {dataset: {id: c.id}},
        h('th', {scope: 'row', 'data-label': 'Calendar'}, c.name || c.id, c.name ? h('span', {class: 'muted'}, ` (${c.id})`) : null),
        h('td', {'data-label': 'Source'}, c.url ? [h('span', {class: 'url'}, c.url), h('span', {class: 'holiday'}, `refresh ${c.refresh}`)] : `${c.bytes} bytes`),
        h('td', {'data-label': 'Fetching', class: 'cell-status'}, fetchStatus(c)),
        h('td', {class: 'row-actions'}, admin && c.url ? h('button', {type: 'button', class: 'link-button', id: `refresh-${c.id}`,
          'aria-label': `Refresh now: ${c.name || c.id}`, onclick: () => refresh(c.id)}, 'Refresh now') : null)))))
      : emptyState('No iCalendar calendars. A rule can take its dates from one (“Dates of an iCalendar calendar”).'));
  }

  async function refresh(id) {
    let written = 0;
    try {
      const r = await api.refreshCalendar(id);
      if (r.version) state.published = r.version; // ours: no "published by" notice
      if (r.changed) written = r.version;
      notify(r.changed ? `Fetched: the calendar changed (version ${r.version}).` : 'Fetched: no change.');
    } catch (e) {
      notify(e.message, 'error');
    }
    await reloadAll(written);
  }

  // reloadAll reloads the calendars and the config. The calendar list is
  // what this replica serves, which follows a write by a few milliseconds
  // (longer with a large config): after a write of version atLeast, it is
  // asked again until it shows that version (for up to 5 s).
  async function reloadAll(atLeast = 0) {
    try {
      for (let tries = 0; ; tries++) {
        const c = await loadCalendars();
        if (!(atLeast > (c.version || 0)) || tries >= 50) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await loadBase();
    } catch (e) {
      reportError(e);
    }
    renderIcs();
  }

  // The add form: an id, a name, and a URL or a file.
  const idIn = h('input', {type: 'text', id: 'cal-id', autocomplete: 'off', maxlength: '100', placeholder: 'e.g. company-closures'});
  const nameIn = h('input', {type: 'text', id: 'cal-name', autocomplete: 'off', maxlength: '200'});
  const urlIn = h('input', {type: 'url', id: 'cal-url', autocomplete: 'off', placeholder: 'https://…/calendar.ics'});
  const fileIn = h('input', {type: 'file', id: 'cal-file', accept: '.ics,text/calendar'});
  const formError = h('p', {class: 'field-error', id: 'cal-error', role: 'alert', hidden: true});
  const addForm = admin ? h('form', {class: 'card', id: 'cal-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); add().catch(reportError); }},
    h('h2', null, 'Add or replace a calendar'),
    h('div', {class: 'row fields'},
      field({id: 'cal-id', label: 'Id', control: idIn, hint: 'Rules name the calendar by this id.'}),
      field({id: 'cal-name', label: 'Name (optional)', control: nameIn})),
    h('div', {class: 'row fields'},
      field({id: 'cal-url', label: 'Fetch from a URL', control: urlIn, hint: 'Fetched now and then every 6 hours; a failed fetch keeps the last good copy.'}),
      field({id: 'cal-file', label: 'or upload an .ics file', control: fileIn})),
    formError,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', id: 'cal-save'}, 'Save calendar'))) : null;

  async function add() {
    const id = idIn.value.trim();
    const file = fileIn.files && fileIn.files[0];
    const problem = !id ? 'Give the calendar an id.' : !urlIn.value.trim() && !file ? 'Give a URL or choose a file.' : '';
    formError.hidden = !problem;
    formError.textContent = problem;
    if (problem) return;
    const body = {name: nameIn.value.trim()};
    if (file) body.ics = await file.text();
    else body.url = urlIn.value.trim();
    let written = 0;
    try {
      const r = await api.putCalendar(id, body);
      state.published = written = r.version;
      notify(r.fetchError ? `Saved (version ${r.version}), but the first fetch failed: ${r.fetchError}` : `Saved calendar “${id}” (version ${r.version}).`,
        r.fetchError ? 'error' : 'ok');
      idIn.value = nameIn.value = urlIn.value = '';
      fileIn.value = '';
    } catch (e) {
      formError.hidden = false;
      formError.textContent = e.message;
      return;
    }
    await reloadAll(written);
  }

  const el = h('section', {class: 'view'},
    pageHeader('Calendars'),
    h('p', {class: 'lead'}, 'Public-holiday calendars that rules can use, and iCalendar calendars (uploaded or fetched) whose days a rule can match.'),
    h('h2', null, 'iCalendar calendars'),
    icsBox, addForm,
    h('h2', null, 'Public-holiday calendars'),
    h('div', {class: 'toolbar'}, h('div', {class: 'tool'}, h('label', {for: 'code-search'}, 'Search'), search)),
    datesBox, codesBox);
  renderCodes();
  reloadAll();
  return {el, update(topic) { if (topic === 'calendars') renderCodes(); }};
}
