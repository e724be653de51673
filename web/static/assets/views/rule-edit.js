import {field, h, mount, option, setFieldError} from '../dom.js';
import {api} from '../api.js';
import {calendarByCode, holidayCalendars, normalizeCalendar} from '../calendars.js';
import {REPEAT_MODES, checkRRule, describeRule, isOvernight, modelToRule, newRuleId, normalizeClock, ruleEffect, ruleToModel} from '../rules.js';
import {clearErrorsFor, doc, editDoc, errorsFor, isAdmin, reportError} from '../state.js';
import {DAY_LONG, DAY_SHORT, MONTHS, WEEKDAYS, fmtDate} from '../time.js';
import {link, notify, pageHeader} from '../ui.js';
import {deleteRule, usedBy} from './rules.js';

const REASONS = ['closed', 'holiday', 'lunch', 'maintenance', 'training', 'meeting', 'weather', 'emergency'];
const NTH = [[1, 'first'], [2, 'second'], [3, 'third'], [4, 'fourth'], [5, 'fifth'], [-1, 'last']];
const UNITS = {daily: ['day', 'days'], weekly: ['week', 'weeks'], monthly: ['month', 'months'], yearly: ['year', 'years']};

// Which editor field shows a server error about a rule field.
function fieldFor(ruleField, model) {
  switch (ruleField) {
    case 'name': case 'id': return 'rule-name';
    case 'closedReason': return 'rule-reason';
    case 'isOpen': return 'rule-form';
    case 'startTime': return 'rule-start';
    case 'endTime': return 'rule-end';
    case 'startDate': return model.repeat === 'once' ? 'rule-date' : 'rule-from';
    case 'endDate': return model.repeat === 'once' ? 'rule-date' : 'rule-until';
    case 'holidays': return model.repeat === 'rrule' ? 'rule-rrule-calendar' : 'rule-calendar';
    case 'dateRRule': return model.repeat === 'rrule' ? 'rule-rrule' : 'rule-repeat';
    default: return 'rule-form';
  }
}

// Which editor field shows a client-side error (modelToRule's keys).
const CLIENT_FIELD = {
  name: 'rule-name', closedReason: 'rule-reason', startTime: 'rule-start', endTime: 'rule-end', date: 'rule-date',
  interval: 'rule-interval', byday: 'rule-days', monthDay: 'rule-yday', calendar: 'rule-calendar',
  dateRRule: 'rule-rrule', startDate: 'rule-from', endDate: 'rule-until', anchor: 'rule-anchor', ical: 'rule-ical',
};

function radio(name, value, label, checked, id) {
  const input = h('input', {type: 'radio', name, value, id, checked});
  return h('label', {class: 'choice', for: id}, input, ' ', label);
}

function daySelect(id, value) {
  return h('select', {id, value: String(value)},
    Array.from({length: 31}, (_, i) => option(String(i + 1), String(i + 1))),
    option('-1', 'last day'));
}

function nthSelect(id, value) {
  return h('select', {id, value: String(value)}, NTH.map(([v, l]) => option(String(v), l)));
}

function weekdaySelect(id, value) {
  return h('select', {id, value}, WEEKDAYS.map((d) => option(d, DAY_LONG[d])));
}

function monthSelect(id, value) {
  return h('select', {id, value: String(value)}, MONTHS.map((m, i) => option(String(i + 1), m)));
}

// calendarInput is a searchable holiday-calendar picker: type a country,
// region or code; the list (a datalist) offers the server's catalogue.
function calendarInput(id, value, optional) {
  return h('input', {type: 'text', id, value: value || '', list: 'holiday-codes', autocomplete: 'off', spellcheck: 'false',
    placeholder: optional ? 'none' : 'Type a country or region, e.g. Germany, Bavaria, US'});
}

// readCalendar turns what was typed (a code, or a name from the list)
// into a code.
function readCalendar(v) {
  const t = String(v || '').trim();
  if (!t) return '';
  const c = calendarByCode(t);
  if (c) return c.code;
  const lower = t.toLowerCase();
  const hit = holidayCalendars().find((x) => x.name.toLowerCase() === lower || `${x.code} — ${x.name}`.toLowerCase() === lower);
  return hit ? hit.code : normalizeCalendar(t);
}

export function ruleEditor(route, {mode, id}) {
  const admin = isAdmin();
  const d = doc();
  const original = mode === 'new' ? null : d.rules.find((r) => r.id === id);
  if (mode !== 'new' && !original) {
    return {el: h('section', {class: 'view'}, pageHeader('Rule not found'),
      h('p', null, `There is no rule with the id “${id}” in the ${'working'} configuration. `), h('a', {href: '#/rules'}, 'Back to the rules'))};
  }
  const model = original ? ruleToModel(original) : ruleToModel({isOpen: true, dateRRule: 'RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', startTime: '09:00', endTime: '17:00'});
  if (mode === 'new') {
    model.id = '';
    model.name = '';
  }
  if (mode === 'copy') {
    const names = new Set(d.rules.map((r) => r.name));
    let n = `${original.name || original.id} (copy)`;
    for (let i = 2; names.has(n); i++) n = `${original.name || original.id} (copy ${i})`;
    model.name = n;
    model.id = '';
  }
  const editingId = mode === 'edit' ? original.id : null;
  const title = mode === 'new' ? 'New rule' : mode === 'copy' ? `Copy of “${original.name || original.id}”` : (admin ? 'Edit rule' : 'Rule');

  // ---- controls
  const nameIn = h('input', {type: 'text', id: 'rule-name', value: model.name, maxlength: '200', autocomplete: 'off', required: true});
  const openR = radio('effect', 'open', 'Open', model.isOpen, 'rule-open');
  const closedR = radio('effect', 'closed', 'Closed', !model.isOpen, 'rule-closed');
  const reasonIn = h('input', {type: 'text', id: 'rule-reason', value: model.closedReason, list: 'reason-list', maxlength: '100', autocomplete: 'off'});
  const alldayR = radio('timeMode', 'allday', 'All day', model.timeMode === 'allday', 'rule-allday');
  const windowR = radio('timeMode', 'window', 'Between set times', model.timeMode === 'window', 'rule-window');
  const timeAttrs = {type: 'text', inputmode: 'numeric', placeholder: 'HH:MM', maxlength: '5', autocomplete: 'off', pattern: '[0-2][0-9]:[0-5][0-9]', class: 'time'};
  const startIn = h('input', {...timeAttrs, id: 'rule-start', value: model.startTime});
  const endIn = h('input', {...timeAttrs, id: 'rule-end', value: model.endTime});
  const overnightNote = h('p', {class: 'note', id: 'rule-overnight', hidden: true});
  const repeatSel = h('select', {id: 'rule-repeat', value: model.repeat}, REPEAT_MODES.map(([v, l]) => option(v, l)));
  const dateIn = h('input', {type: 'date', id: 'rule-date', value: model.date});
  const intervalIn = h('input', {type: 'number', id: 'rule-interval', min: '1', max: '1000', step: '1', value: String(model.interval), class: 'short'});
  const intervalUnit = h('span', {id: 'rule-interval-unit'});
  const dayBoxes = WEEKDAYS.map((wd) => h('label', {class: 'day', for: 'rule-day-' + wd},
    h('input', {type: 'checkbox', id: 'rule-day-' + wd, value: wd, checked: model.byday.includes(wd), 'aria-label': DAY_LONG[wd]}),
    h('span', {'aria-hidden': 'true'}, DAY_SHORT[wd])));
  const preset = (days) => () => {
    for (const box of dayBoxes) box.querySelector('input').checked = days.includes(box.querySelector('input').value);
    sync();
  };
  const monthlyDayR = radio('monthlyMode', 'day', 'On day', model.monthlyMode === 'day', 'rule-monthly-day');
  const monthlyWdR = radio('monthlyMode', 'weekday', 'On the', model.monthlyMode === 'weekday', 'rule-monthly-weekday');
  const monthDaySel = daySelect('rule-monthday', model.monthDay);
  const nthSel = nthSelect('rule-nth', model.nth);
  const weekdaySel = weekdaySelect('rule-weekday', model.weekday);
  const monthSel = monthSelect('rule-month', model.month);
  const yearlyDateR = radio('yearlyMode', 'date', 'On a date', model.yearlyMode === 'date', 'rule-yearly-date');
  const yearlyWdR = radio('yearlyMode', 'weekday', 'On the Nth weekday', model.yearlyMode === 'weekday', 'rule-yearly-weekday');
  const yDaySel = daySelect('rule-yday', model.monthDay);
  const yNthSel = nthSelect('rule-ynth', model.nth);
  const yWeekdaySel = weekdaySelect('rule-yweekday', model.weekday);
  const calSel = calendarInput('rule-calendar', model.repeat === 'holidays' ? model.calendar : '', false);
  const holidayDates = h('div', {class: 'holiday-dates', id: 'rule-holiday-dates', 'aria-live': 'polite'});
  const icalSel = h('select', {id: 'rule-ical'}, option('', 'Choose a calendar…'),
    (d.calendars || []).map((c) => option(c.id, c.name ? `${c.name} (${c.id})` : c.id)));
  icalSel.value = model.ical || '';
  const rruleIn = h('textarea', {id: 'rule-rrule', rows: '3', spellcheck: 'false', autocomplete: 'off', class: 'mono'}, model.repeat === 'rrule' ? model.rrule : '');
  const rruleCal = calendarInput('rule-rrule-calendar', model.repeat === 'rrule' ? model.calendar : '', true);
  const anchorIn = h('input', {type: 'date', id: 'rule-anchor', value: model.anchor});
  const fromIn = h('input', {type: 'date', id: 'rule-from', value: model.startDate});
  const untilIn = h('input', {type: 'date', id: 'rule-until', value: model.endDate});
  const summary = h('p', {class: 'summary', id: 'rule-summary', 'aria-live': 'polite'});
  const stored = h('pre', {class: 'stored mono', id: 'rule-json'});
  const formError = h('div', {class: 'form-error', id: 'rule-form-error', role: 'alert', hidden: true});

  // ---- panels
  const reasonField = field({id: 'rule-reason', label: 'Closed reason', control: reasonIn,
    hint: 'Returned as closedReason, e.g. holiday, closed, lunch.'});
  const windowFields = h('div', {class: 'row fields', id: 'rule-window-fields'},
    field({id: 'rule-start', label: 'From', control: startIn}),
    field({id: 'rule-end', label: 'Until', control: endIn}));
  const intervalRow = h('div', {class: 'field inline', id: 'rule-interval-row'},
    h('label', {for: 'rule-interval'}, 'Repeat every'), intervalIn, intervalUnit,
    h('p', {class: 'field-error', id: 'rule-interval-error', hidden: true}));
  const panels = {
    once: h('div', {class: 'panel', dataset: {mode: 'once'}}, field({id: 'rule-date', label: 'Date', control: dateIn})),
    daily: h('div', {class: 'panel', dataset: {mode: 'daily'}}, h('p', {class: 'hint'}, 'Every day (restrict it with a date range below).')),
    weekly: h('div', {class: 'panel', dataset: {mode: 'weekly'}},
      h('fieldset', {class: 'days', id: 'rule-days', 'aria-describedby': 'rule-days-error'},
        h('legend', null, 'On'),
        h('div', {class: 'daybox'}, dayBoxes),
        h('div', {class: 'presets'},
          h('button', {type: 'button', class: 'small', onclick: preset(['MO', 'TU', 'WE', 'TH', 'FR'])}, 'Weekdays'),
          h('button', {type: 'button', class: 'small', onclick: preset(['SA', 'SU'])}, 'Weekend'),
          h('button', {type: 'button', class: 'small', onclick: preset(WEEKDAYS)}, 'Every day')),
        h('p', {class: 'field-error', id: 'rule-days-error', hidden: true}))),
    monthly: h('div', {class: 'panel', dataset: {mode: 'monthly'}},
      h('fieldset', null, h('legend', null, 'Which day of the month'),
        h('div', {class: 'row'}, monthlyDayR, h('label', {for: 'rule-monthday', class: 'sr-only'}, 'Day of the month'), monthDaySel),
        h('div', {class: 'row'}, monthlyWdR, h('label', {for: 'rule-nth', class: 'sr-only'}, 'Which one'), nthSel,
          h('label', {for: 'rule-weekday', class: 'sr-only'}, 'Weekday'), weekdaySel))),
    yearly: h('div', {class: 'panel', dataset: {mode: 'yearly'}},
      field({id: 'rule-month', label: 'Month', control: monthSel}),
      h('fieldset', null, h('legend', null, 'Which day'),
        h('div', {class: 'row'}, yearlyDateR, h('label', {for: 'rule-yday', class: 'sr-only'}, 'Day of the month'), yDaySel),
        h('div', {class: 'row'}, yearlyWdR, h('label', {for: 'rule-ynth', class: 'sr-only'}, 'Which one'), yNthSel,
          h('label', {for: 'rule-yweekday', class: 'sr-only'}, 'Weekday'), yWeekdaySel),
        h('p', {class: 'field-error', id: 'rule-yday-error', hidden: true}),
        h('p', {class: 'hint'}, 'E.g. the fourth Thursday of November (Thanksgiving).'))),
    holidays: h('div', {class: 'panel', dataset: {mode: 'holidays'}},
      field({id: 'rule-calendar', label: 'Holiday calendar', control: calSel,
        hint: 'Matches every public holiday of the calendar, in any year (moving holidays and observed days included).'}),
      holidayDates),
    ical: h('div', {class: 'panel', dataset: {mode: 'ical'}},
      field({id: 'rule-ical', label: 'Calendar', control: icalSel,
        hint: (d.calendars || []).length ? 'Matches the days of the calendar’s events (uploaded or fetched: see Calendars).' : 'No calendar yet: add one on the Calendars page first.'})),
    rrule: h('div', {class: 'panel', dataset: {mode: 'rrule'}},
      field({id: 'rule-rrule', label: 'Recurrence rule (RFC 5545)', control: rruleIn,
        hint: 'E.g. RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR (last weekday of the month). Optional first line DTSTART:20260103 anchors INTERVAL and COUNT. Matches dates only: use the times above for hours.'}),
      field({id: 'rule-rrule-calendar', label: 'And only on public holidays of', control: rruleCal})),
  };
  const anchorField = field({id: 'rule-anchor', label: 'Counting from', control: anchorIn,
    hint: 'The first occurrence: “every other week” counts from here. Defaults to the start date.'});
  const rangeFields = h('fieldset', {id: 'rule-range'}, h('legend', null, 'Only between (optional)'),
    h('div', {class: 'row fields'},
      field({id: 'rule-from', label: 'Start date', control: fromIn}),
      field({id: 'rule-until', label: 'End date', control: untilIn})),
    h('p', {class: 'hint'}, 'Inclusive local dates. Leave empty for no limit.'));

  let timeHint = null;
  const users = editingId ? usedBy(d, editingId) : [];
  const saveBtn = h('button', {type: 'submit', class: 'primary', id: 'rule-save'}, 'Save to draft');
  const copyBtn = mode === 'edit' ? h('button', {type: 'button', id: 'rule-save-copy'}, 'Save as copy') : null;
  const delBtn = mode === 'edit' ? h('button', {type: 'button', class: 'danger', id: 'rule-delete'}, 'Delete') : null;

  const form = h('form', {id: 'rule-form', class: 'editor', novalidate: true},
    formError,
    h('div', {class: 'cols'},
      h('div', {class: 'col'},
        field({id: 'rule-name', label: 'Name', control: nameIn, hint: editingId ? `Id: ${editingId}` : 'Shown in answers as the deciding rule.'}),
        h('fieldset', {id: 'rule-effect'}, h('legend', null, 'When it matches, the schedule is'),
          h('div', {class: 'row'}, openR, closedR), reasonField),
        h('fieldset', {id: 'rule-time'}, h('legend', null, 'Time of day'),
          h('div', {class: 'row'}, alldayR, windowR),
          windowFields,
          timeHint = h('p', {class: 'hint', id: 'rule-time-hint'}, '24-hour HH:MM in the schedule’s time zone. An end before the start runs overnight (22:00–06:00). 24:00 is midnight. Only a start: until midnight; only an end: from midnight.'),
          overnightNote)),
      h('div', {class: 'col'},
        h('fieldset', {id: 'rule-dates'}, h('legend', null, 'Dates'),
          field({id: 'rule-repeat', label: 'Repeats', control: repeatSel}),
          intervalRow,
          Object.values(panels),
          anchorField),
        rangeFields)),
    h('div', {class: 'summary-box'}, h('span', {class: 'label'}, 'Summary'), summary),
    users.length ? h('p', {class: 'used-by'}, 'Used by: ', users.map((n, i) => [i ? ', ' : '', h('a', {href: link('schedules', 'edit', n)}, n)])) : null,
    h('details', null, h('summary', null, 'As stored in the config'), stored),
    admin ? h('div', {class: 'actions sticky'}, saveBtn, copyBtn, delBtn, h('a', {href: '#/rules', class: 'button'}, 'Cancel'))
      : h('div', {class: 'actions'}, h('a', {href: '#/rules', class: 'button'}, 'Back to the rules')));
  form.append(h('datalist', {id: 'reason-list'}, REASONS.map((r) => h('option', {value: r}))));
  form.append(h('datalist', {id: 'holiday-codes'}, holidayCalendars().map((c) => h('option', {value: c.code}, c.name))));

  if (!admin) {
    for (const c of form.querySelectorAll('input, select, textarea, .presets button')) c.disabled = true;
  }

  function readModel() {
    const m = {...model};
    m.name = nameIn.value;
    m.isOpen = openR.querySelector('input').checked;
    m.closedReason = reasonIn.value;
    m.timeMode = windowR.querySelector('input').checked ? 'window' : 'allday';
    m.startTime = startIn.value.trim();
    m.endTime = endIn.value.trim();
    m.repeat = repeatSel.value;
    m.date = dateIn.value;
    m.interval = Number(intervalIn.value || '1');
    m.byday = dayBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    if (m.repeat === 'monthly') {
      m.monthlyMode = monthlyWdR.querySelector('input').checked ? 'weekday' : 'day';
      m.monthDay = Number(monthDaySel.value);
      m.nth = Number(nthSel.value);
      m.weekday = weekdaySel.value;
    } else if (m.repeat === 'yearly') {
      m.yearlyMode = yearlyWdR.querySelector('input').checked ? 'weekday' : 'date';
      m.month = Number(monthSel.value);
      m.monthDay = Number(yDaySel.value);
      m.nth = Number(yNthSel.value);
      m.weekday = yWeekdaySel.value;
    }
    m.calendar = m.repeat === 'holidays' ? readCalendar(calSel.value) : m.repeat === 'rrule' ? readCalendar(rruleCal.value) : '';
    m.ical = icalSel.value;
    m.rrule = rruleIn.value;
    m.anchor = anchorIn.value;
    m.startDate = fromIn.value;
    m.endDate = untilIn.value;
    return m;
  }

  const touched = new Set();
  let submitted = false;

  function showErrors(errors, m) {
    const ids = new Set(Object.values(CLIENT_FIELD));
    ids.add('rule-repeat');
    ids.add('rule-rrule-calendar');
    const shown = {};
    for (const [k, msg] of Object.entries(errors)) {
      const fid = k === 'calendar' && m.repeat === 'rrule' ? 'rule-rrule-calendar' : CLIENT_FIELD[k];
      if (fid && (submitted || touched.has(fid) || fid === 'rule-rrule')) shown[fid] = msg;
    }
    // The server's word, for the fields not edited since.
    const server = [];
    for (const e of (editingId ? errorsFor('rule', editingId) : [])) {
      const fid = fieldFor(e.field, m);
      if (fid === 'rule-form') server.push(`${e.path}: ${e.message}`);
      else if (!shown[fid]) shown[fid] = `${e.message} (from the server)`;
    }
    for (const fid of ids) setFieldError(form, fid, shown[fid] || '');
    formError.hidden = !server.length;
    mount(formError, server.length ? [h('strong', null, 'The server refused this rule: '), server.join('; ')] : []);
    return shown;
  }

  function sync() {
    const m = readModel();
    reasonField.hidden = m.isOpen;
    windowFields.hidden = m.timeMode !== 'window';
    timeHint.hidden = m.timeMode !== 'window';
    for (const [k, p] of Object.entries(panels)) p.hidden = k !== m.repeat;
    const unit = UNITS[m.repeat];
    intervalRow.hidden = !unit;
    if (unit) intervalUnit.textContent = m.interval === 1 ? unit[0] : unit[1];
    anchorField.hidden = !(unit && (m.interval > 1 || m.anchor));
    rangeFields.hidden = m.repeat === 'once';
    monthDaySel.disabled = !admin || m.monthlyMode !== 'day';
    nthSel.disabled = weekdaySel.disabled = !admin || m.monthlyMode !== 'weekday';
    yDaySel.disabled = !admin || m.yearlyMode !== 'date';
    yNthSel.disabled = yWeekdaySel.disabled = !admin || m.yearlyMode !== 'weekday';
    const probe = {isOpen: m.isOpen, startTime: m.timeMode === 'window' ? m.startTime : '', endTime: m.timeMode === 'window' ? m.endTime : ''};
    overnightNote.hidden = !isOvernight(probe);
    overnightNote.textContent = overnightNote.hidden ? '' : `Overnight: from ${m.startTime} until ${m.endTime} the next morning, starting on each matching date.`;
    const names = d.rules.filter((r) => r.id !== editingId).map((r) => r.name).filter(Boolean);
    const {rule, errors} = modelToRule(m, original || {}, {names});
    if (m.repeat === 'rrule' && m.rrule.trim() && !errors.dateRRule) {
      const p = checkRRule(m.rrule, !!m.startDate);
      if (p) errors.dateRRule = p;
    }
    summary.textContent = `${describeRule(rule)} · ${ruleEffect(rule)}`;
    if (m.repeat === 'holidays') showHolidayDates(m.calendar);
    stored.textContent = JSON.stringify({...rule, id: rule.id || '(assigned on save)'}, null, 2);
    showErrors(errors, m);
    return {rule, errors, m};
  }

  // The dates a holiday calendar gives this year, so a choice can be
  // checked before saving.
  let datesFor = '';
  function showHolidayDates(code) {
    if (!calendarByCode(code) || code === datesFor) return;
    datesFor = code;
    const year = new Date().getFullYear();
    api.holidays(code, year).then((r) => {
      if (datesFor !== code) return;
      mount(holidayDates, h('details', null, h('summary', null, `${r.holidays.length} dates in ${year}`),
        h('ul', {class: 'compact-list'}, r.holidays.map((x) => h('li', null, `${fmtDate(x.date, {year: false})}: ${x.name}`)))));
    }, () => mount(holidayDates));
  }

  // Times typed as "9:00" or "9" read as 09:00 when the field is left.
  for (const t of [startIn, endIn]) {
    t.addEventListener('change', () => {
      const v = normalizeClock(t.value);
      if (v !== t.value) {
        t.value = v;
        sync();
      }
    });
  }

  form.addEventListener('input', (e) => {
    if (e.target.id) touched.add(e.target.id.startsWith('rule-day-') ? 'rule-days' : e.target.id);
    sync();
  });
  // Switching to the raw RRULE starts from the recurrence chosen so far.
  let lastRepeat = model.repeat;
  repeatSel.addEventListener('change', () => {
    if (repeatSel.value === 'rrule' && !rruleIn.value.trim() && lastRepeat !== 'rrule') {
      const prev = {...readModel(), repeat: lastRepeat};
      const {rule} = modelToRule(prev, {}, {});
      if (rule.dateRRule) rruleIn.value = rule.dateRRule;
    }
    lastRepeat = repeatSel.value;
  });
  form.addEventListener('change', (e) => {
    if (e.target.id) touched.add(e.target.id.startsWith('rule-day-') ? 'rule-days' : e.target.id);
    sync();
  });

  function focusFirstError() {
    const bad = form.querySelector('[aria-invalid="true"]') || form.querySelector('.field-error:not([hidden])');
    if (bad) bad.focus ? bad.focus() : null;
  }

  function save(asCopy) {
    submitted = true;
    const {rule, errors} = sync();
    if (asCopy) {
      const names = d.rules.map((r) => r.name).filter(Boolean);
      if (names.includes(rule.name)) {
        let n = `${rule.name} (copy)`;
        for (let i = 2; names.includes(n); i++) n = `${rule.name} (copy ${i})`;
        rule.name = n;
        delete errors.name;
      }
    }
    if (Object.keys(errors).length) {
      formError.hidden = false;
      mount(formError, 'Please correct the marked fields.');
      focusFirstError();
      return;
    }
    let savedId = editingId;
    editDoc((x) => {
      const taken = new Set(x.rules.map((r) => r.id));
      if (editingId && !asCopy) {
        const i = x.rules.findIndex((r) => r.id === editingId);
        if (i >= 0) x.rules[i] = rule;
        else x.rules.push(rule);
      } else {
        rule.id = newRuleId(rule.name, taken);
        savedId = rule.id;
        x.rules.push(rule);
      }
    });
    if (editingId && !asCopy) clearErrorsFor('rule', editingId);
    notify(asCopy ? `Saved a copy “${rule.name}” to the draft.` : `Saved rule “${rule.name}” to the draft. Publish to apply.`);
    saved = true;
    const back = route.query.get('back');
    location.hash = back && back.startsWith('#/') ? back + (back.includes('?') ? '&' : '?') + 'newRule=' + encodeURIComponent(savedId) : '#/rules';
    return savedId;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (admin) save(false);
  });
  if (copyBtn) copyBtn.addEventListener('click', () => save(true));
  if (delBtn) {
    delBtn.addEventListener('click', () => {
      deleteRule(editingId).then((ok) => {
        if (!ok) return;
        saved = true;
        location.hash = '#/rules';
      }).catch(reportError);
    });
  }

  const el = h('section', {class: 'view'},
    pageHeader(title),
    h('p', {class: 'breadcrumbs'}, h('a', {href: '#/rules'}, 'Rules'), ' › ', title),
    form);
  sync();
  const initial = JSON.stringify(readModel());
  let saved = false;
  const back = route.query.get('back');
  if (back && back.startsWith('#/')) {
    // Coming from a schedule editor: Cancel goes back there.
    for (const a of form.querySelectorAll('.actions a.button')) a.setAttribute('href', back);
  }
  return {el, isDirty: () => admin && !saved && (mode === 'copy' || JSON.stringify(readModel()) !== initial)};
}
