// Rules: the plain-language description, the editor's model (structured
// recurrence <-> the rule's fields), and client-side checks that mirror the
// engine's validation (the server still validates on publish).

import {DAY_LONG, DAY_SHORT, MONTHS, WEEKDAYS, clockToMin, fmtDate, isDate} from './time.js';
import {calendarByCode, normalizeCalendar} from './calendars.js';

const ORDINAL_WORD = {1: 'first', 2: 'second', 3: 'third', 4: 'fourth', 5: 'fifth', '-1': 'last', '-2': 'second to last'};
const ORDINAL_NUM = {1: '1st', 2: '2nd', 3: '3rd', 4: '4th', 5: '5th', '-1': 'last', '-2': 'second to last'};

// ---------------------------------------------------------------- RRULE

const KNOWN_PARTS = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH',
  'BYYEARDAY', 'BYWEEKNO', 'BYSETPOS', 'WKST', 'BYEASTER', 'BYHOUR', 'BYMINUTE', 'BYSECOND']);

// parseRRule splits a dateRRule into {dtstart, parts, error}. It accepts
// what the engine accepts: an optional "RRULE:" prefix and an optional
// DTSTART line (DTSTART:20260103, DTSTART;VALUE=DATE:20260103,
// DTSTART:20260103T000000Z).
export function parseRRule(text) {
  const out = {dtstart: '', parts: {}, order: [], error: ''};
  const lines = String(text || '').split(/\r\n|\r|\n/).map((l) => l.trim()).filter(Boolean);
  let body = '';
  for (const line of lines) {
    const upper = line.toUpperCase();
    if (upper.startsWith('DTSTART')) {
      if (out.dtstart) return {...out, error: 'more than one DTSTART line'};
      const v = line.slice(line.lastIndexOf(':') + 1);
      if (line.lastIndexOf(':') < 0 || !/^\d{8}(T\d{6}Z?)?$/i.test(v)) {
        return {...out, error: `DTSTART "${v}" is not a date (YYYYMMDD or YYYYMMDDTHHMMSS[Z])`};
      }
      const d = `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}`;
      if (!isDate(d)) return {...out, error: `DTSTART: "${d}" is not a valid calendar date`};
      out.dtstart = d;
    } else if (upper.startsWith('RRULE:')) {
      if (body) return {...out, error: 'more than one RRULE line'};
      body = line.slice(6).trim();
    } else if (upper.includes('FREQ=') && !upper.includes(':')) {
      if (body) return {...out, error: 'more than one RRULE line'};
      body = line;
    } else {
      return {...out, error: `unsupported line "${line.slice(0, 40)}" (only DTSTART and RRULE are allowed)`};
    }
  }
  if (!body) return {...out, error: 'no RRULE (expected e.g. "RRULE:FREQ=WEEKLY;BYDAY=MO,TU")'};
  for (const piece of body.split(';')) {
    if (!piece.trim()) continue;
    const eq = piece.indexOf('=');
    if (eq < 0) return {...out, error: `"${piece}" is not KEY=VALUE`};
    const key = piece.slice(0, eq).trim().toUpperCase();
    const value = piece.slice(eq + 1).trim().toUpperCase();
    if (!KNOWN_PARTS.has(key)) return {...out, error: `unknown RRULE part ${key}`};
    if (key in out.parts) return {...out, error: `${key} is given twice`};
    if (!value) return {...out, error: `${key} has no value`};
    out.parts[key] = value;
    out.order.push(key);
  }
  return out;
}

const intList = (v) => v.split(',').map((x) => x.trim());
const isInt = (x) => /^[+-]?\d+$/.test(x);

function checkIntList(key, value, lo, hi, allowNegative) {
  for (const x of intList(value)) {
    if (!isInt(x)) return `${key}: "${x}" is not a whole number`;
    const n = Math.abs(+x);
    if (+x === 0 || n < lo || n > hi || (!allowNegative && +x < 0)) return `${key}: ${x} is out of range`;
  }
  return '';
}

// checkRRule returns the first problem of a dateRRule, or ''. anchored
// says whether the rule has a startDate (a DTSTART line also anchors).
export function checkRRule(text, anchored) {
  const p = parseRRule(text);
  if (p.error) return p.error;
  const o = p.parts;
  if (!o.FREQ) return 'FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)';
  if (!['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(o.FREQ)) {
    if (['HOURLY', 'MINUTELY', 'SECONDLY'].includes(o.FREQ)) {
      return 'FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY: rules match whole dates, use the start and end time for hours';
    }
    return `FREQ=${o.FREQ} is not a frequency (DAILY, WEEKLY, MONTHLY or YEARLY)`;
  }
  if (o.BYHOUR || o.BYMINUTE || o.BYSECOND) {
    return 'BYHOUR, BYMINUTE and BYSECOND are not supported: rules match whole dates, use the start and end time for hours';
  }
  if (o.INTERVAL !== undefined && (!/^\d+$/.test(o.INTERVAL) || +o.INTERVAL < 1)) return 'INTERVAL must be a positive whole number';
  if (o.INTERVAL !== undefined && +o.INTERVAL > 1000) return 'INTERVAL is larger than 1000';
  if (o.COUNT !== undefined && (!/^\d+$/.test(o.COUNT) || +o.COUNT < 1)) return 'COUNT must be a positive whole number';
  if (o.UNTIL !== undefined && !/^\d{8}(T\d{6}Z?)?$/.test(o.UNTIL)) return 'UNTIL must be a date (YYYYMMDD)';
  if (o.WKST !== undefined && !WEEKDAYS.includes(o.WKST)) return `WKST: "${o.WKST}" is not a weekday (MO..SU)`;
  const inMonth = o.FREQ === 'MONTHLY' || (o.FREQ === 'YEARLY' && o.BYMONTH);
  if (o.BYDAY !== undefined) {
    for (const d of intList(o.BYDAY)) {
      const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d);
      if (!m) return `BYDAY: "${d}" is not a weekday (MO, TU, … or with a position such as 2TU, -1FR)`;
      if (m[1] !== undefined) {
        const n = +m[1];
        if (n === 0) return `BYDAY: ${d}: the position cannot be 0`;
        if (inMonth && Math.abs(n) > 5) return `BYDAY position ${n} is out of range: a month has at most 5 of each weekday`;
        if (Math.abs(n) > 53) return `BYDAY position ${n} is out of range`;
      }
    }
  }
  let err = '';
  if (o.BYMONTHDAY !== undefined && (err = checkIntList('BYMONTHDAY', o.BYMONTHDAY, 1, 31, true))) return err;
  if (o.BYMONTH !== undefined && (err = checkIntList('BYMONTH', o.BYMONTH, 1, 12, false))) return err;
  if (o.BYYEARDAY !== undefined && (err = checkIntList('BYYEARDAY', o.BYYEARDAY, 1, 366, true))) return err;
  if (o.BYWEEKNO !== undefined && (err = checkIntList('BYWEEKNO', o.BYWEEKNO, 1, 53, true))) return err;
  if (o.BYSETPOS !== undefined && (err = checkIntList('BYSETPOS', o.BYSETPOS, 1, 366, true))) return err;
  if (o.BYEASTER !== undefined) {
    for (const x of intList(o.BYEASTER)) {
      if (!isInt(x)) return `BYEASTER: "${x}" is not a whole number`;
      if (+x < -80 || +x > 249) return `BYEASTER offset ${x} is out of range (-80 to 249)`;
    }
  }
  if (!anchored && !p.dtstart) {
    if (o.INTERVAL && +o.INTERVAL > 1) return 'INTERVAL>1 needs an anchor: set a start date (or add a DTSTART line)';
    if (o.COUNT) return 'COUNT needs an anchor: set a start date (or add a DTSTART line)';
    const hasDay = o.BYMONTHDAY || o.BYDAY;
    if (o.FREQ === 'WEEKLY' && !o.BYDAY) return 'FREQ=WEEKLY without an anchor needs BYDAY (e.g. BYDAY=MO,WE)';
    if (o.FREQ === 'MONTHLY' && !hasDay && !o.BYYEARDAY) return 'FREQ=MONTHLY without an anchor needs BYMONTHDAY or BYDAY';
    if (o.FREQ === 'YEARLY' && !((o.BYMONTH && hasDay) || o.BYYEARDAY || (o.BYWEEKNO && o.BYDAY))) {
      return 'FREQ=YEARLY without an anchor needs BYMONTH with BYMONTHDAY or BYDAY (or BYYEARDAY)';
    }
  }
  return '';
}

// normalizeRRule gives equal strings for rules that differ only in form
// (prefix, order of parts, case).
export function normalizeRRule(text) {
  const p = parseRRule(text);
  if (p.error) return String(text || '').trim();
  const keys = Object.keys(p.parts).sort();
  return (p.dtstart ? 'DTSTART:' + p.dtstart + '|' : '') + keys.map((k) => `${k}=${p.parts[k]}`).join(';');
}

// ---------------------------------------------------------------- model

export const REPEAT_MODES = [
  ['once', 'Once (one date)'],
  ['daily', 'Every day'],
  ['weekly', 'Weekly, on chosen weekdays'],
  ['monthly', 'Monthly'],
  ['yearly', 'Yearly'],
  ['holidays', 'Public holidays (calendar)'],
  ['ical', 'Dates of an iCalendar calendar'],
  ['rrule', 'Custom RRULE'],
];

function positioned(byday) {
  const m = /^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$/.exec(byday || '');
  return m ? {nth: +m[1], weekday: m[2]} : null;
}

function onlyKeys(parts, allowed) {
  return Object.keys(parts).every((k) => allowed.includes(k));
}

// ruleToModel reads a rule into the editor's model.
export function ruleToModel(rule) {
  const m = {
    id: rule.id || '', name: rule.name || '', isOpen: !!rule.isOpen, closedReason: rule.closedReason || '',
    timeMode: (rule.startTime || rule.endTime) ? 'window' : 'allday',
    startTime: rule.startTime || '', endTime: rule.endTime || '',
    repeat: 'daily', date: '', interval: 1, byday: [], monthlyMode: 'day', monthDay: 1, nth: 1, weekday: 'MO',
    month: 1, yearlyMode: 'date', calendar: '', rrule: rule.dateRRule || '', anchor: '',
    startDate: rule.startDate || '', endDate: rule.endDate || '', ical: rule.calendar || '',
  };
  if (rule.holidays) m.calendar = normalizeCalendar(rule.holidays);
  if (!rule.dateRRule) {
    if (rule.calendar && !rule.holidays) {
      m.repeat = 'ical';
    } else if (rule.holidays) {
      m.repeat = 'holidays';
    } else if (rule.startDate && rule.startDate === rule.endDate) {
      m.repeat = 'once';
      m.date = rule.startDate;
      m.startDate = m.endDate = '';
    } else {
      m.repeat = 'daily';
    }
    return m;
  }
  m.repeat = 'rrule';
  const p = parseRRule(rule.dateRRule);
  if (p.error || rule.holidays) return m;
  const o = p.parts;
  const interval = o.INTERVAL ? +o.INTERVAL : 1;
  const structured = (repeat, fill) => {
    m.repeat = repeat;
    m.interval = interval;
    m.anchor = p.dtstart;
    fill();
    return m;
  };
  switch (o.FREQ) {
    case 'DAILY':
      if (onlyKeys(o, ['FREQ', 'INTERVAL'])) return structured('daily', () => {});
      break;
    case 'WEEKLY':
      if (onlyKeys(o, ['FREQ', 'INTERVAL', 'BYDAY']) && o.BYDAY && intList(o.BYDAY).every((d) => WEEKDAYS.includes(d))) {
        return structured('weekly', () => { m.byday = WEEKDAYS.filter((d) => intList(o.BYDAY).includes(d)); });
      }
      break;
    case 'MONTHLY':
      if (onlyKeys(o, ['FREQ', 'INTERVAL', 'BYMONTHDAY']) && /^-?\d{1,2}$/.test(o.BYMONTHDAY || '') &&
          ((+o.BYMONTHDAY >= 1 && +o.BYMONTHDAY <= 31) || +o.BYMONTHDAY === -1)) {
        return structured('monthly', () => { m.monthlyMode = 'day'; m.monthDay = +o.BYMONTHDAY; });
      }
      if (onlyKeys(o, ['FREQ', 'INTERVAL', 'BYDAY']) && positioned(o.BYDAY) && ORDINAL_NUM[positioned(o.BYDAY).nth]) {
        return structured('monthly', () => { m.monthlyMode = 'weekday'; Object.assign(m, positioned(o.BYDAY)); });
      }
      break;
    case 'YEARLY':
      if (!o.BYMONTH || !/^\d{1,2}$/.test(o.BYMONTH)) break;
      if (onlyKeys(o, ['FREQ', 'INTERVAL', 'BYMONTH', 'BYMONTHDAY']) && /^-?\d{1,2}$/.test(o.BYMONTHDAY || '') &&
          ((+o.BYMONTHDAY >= 1 && +o.BYMONTHDAY <= 31) || +o.BYMONTHDAY === -1)) {
        return structured('yearly', () => { m.yearlyMode = 'date'; m.month = +o.BYMONTH; m.monthDay = +o.BYMONTHDAY; });
      }
      if (onlyKeys(o, ['FREQ', 'INTERVAL', 'BYMONTH', 'BYDAY']) && positioned(o.BYDAY) && ORDINAL_NUM[positioned(o.BYDAY).nth]) {
        return structured('yearly', () => { m.yearlyMode = 'weekday'; m.month = +o.BYMONTH; Object.assign(m, positioned(o.BYDAY)); });
      }
      break;
  }
  return m;
}

function dtstartLine(anchor) {
  return anchor ? `DTSTART:${anchor.replaceAll('-', '')}\n` : '';
}

function intervalPart(n) {
  return n > 1 ? `;INTERVAL=${n}` : '';
}

// modelToRule builds the rule from the model. It returns {rule, errors}
// where errors maps a rule field (or editor field) to a message. original
// is the rule being edited: its unknown fields are kept, and its RRULE text
// is kept when the model means the same rule.
// normalizeClock reads the ways people type a time: "9:00", "9", "900",
// "9.30", "17h" become "09:00", "09:00", "09:00", "09:30", "17:00".
// Anything else is returned as typed (and then refused with a message).
export function normalizeClock(s) {
  const t = String(s || '').trim();
  let m = /^(\d{1,2})(?:[:.h](\d{2}))?h?$/.exec(t);
  if (!m) m = /^(\d{1,2})(\d{2})$/.exec(t);
  if (!m) return t;
  const hh = +m[1], mm = m[2] === undefined ? 0 : +m[2];
  if (hh > 24 || mm > 59) return t;
  return `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
}

export function modelToRule(m, original = {}, {names = []} = {}) {
  const errors = {};
  const rule = {...original};
  for (const k of ['closedReason', 'dateRRule', 'startDate', 'endDate', 'startTime', 'endTime', 'holidays']) delete rule[k];
  if (m.repeat !== 'rrule') delete rule.calendar;
  rule.id = m.id;
  rule.name = (m.name || '').trim();
  rule.isOpen = !!m.isOpen;
  if (!rule.name) errors.name = 'A name is required';
  else if (rule.name.length > 200) errors.name = 'At most 200 characters';
  else if (names.includes(rule.name)) errors.name = `Another rule is already called “${rule.name}”`;
  if (!m.isOpen) {
    const reason = (m.closedReason || '').trim();
    if (!reason) errors.closedReason = 'A closed rule needs a reason (e.g. holiday, closed, lunch)';
    else if (reason.length > 100) errors.closedReason = 'At most 100 characters';
    rule.closedReason = reason;
  }
  if (m.timeMode === 'window') {
    const st = normalizeClock(m.startTime), en = normalizeClock(m.endTime);
    if (!st && !en) errors.startTime = 'Give a start time, an end time or both (or choose “All day”)';
    if (st) {
      const v = clockToMin(st);
      if (Number.isNaN(v)) errors.startTime = `“${st}” is not a time (HH:MM, 24-hour)`;
      else if (v === 1440) errors.startTime = '24:00 is only allowed as an end time';
      rule.startTime = st;
    }
    if (en) {
      if (Number.isNaN(clockToMin(en))) errors.endTime = `“${en}” is not a time (HH:MM, 24-hour; 24:00 for midnight)`;
      rule.endTime = en;
    }
    if (st && en && !errors.startTime && !errors.endTime && clockToMin(st) === clockToMin(en)) {
      errors.endTime = 'The end equals the start: the window would be empty (choose “All day” instead)';
    }
  }
  const interval = Number(m.interval) || 1;
  if (['daily', 'weekly', 'monthly', 'yearly'].includes(m.repeat)) {
    if (!Number.isInteger(interval) || interval < 1 || interval > 1000) errors.interval = 'A whole number from 1 to 1000';
  }
  let rr = '';
  switch (m.repeat) {
    case 'once':
      if (!isDate(m.date)) errors.date = 'Choose the date';
      rule.startDate = rule.endDate = m.date;
      break;
    case 'daily':
      if (interval > 1) rr = `RRULE:FREQ=DAILY${intervalPart(interval)}`;
      break;
    case 'weekly':
      if (!m.byday.length) errors.byday = 'Choose at least one weekday';
      rr = `RRULE:FREQ=WEEKLY${intervalPart(interval)};BYDAY=${WEEKDAYS.filter((d) => m.byday.includes(d)).join(',')}`;
      break;
    case 'monthly':
      rr = `RRULE:FREQ=MONTHLY${intervalPart(interval)};` +
        (m.monthlyMode === 'weekday' ? `BYDAY=${m.nth}${m.weekday}` : `BYMONTHDAY=${m.monthDay}`);
      break;
    case 'yearly':
      rr = `RRULE:FREQ=YEARLY${intervalPart(interval)};BYMONTH=${m.month};` +
        (m.yearlyMode === 'weekday' ? `BYDAY=${m.nth}${m.weekday}` : `BYMONTHDAY=${m.monthDay}`);
      if (m.yearlyMode === 'date' && m.monthDay > 0) {
        const maxDay = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m.month - 1];
        if (m.monthDay > maxDay) errors.monthDay = `${MONTHS[m.month - 1]} has no day ${m.monthDay}`;
      }
      break;
    case 'holidays':
      if (!calendarByCode(m.calendar)) errors.calendar = 'Choose a holiday calendar';
      rule.holidays = m.calendar;
      break;
    case 'ical':
      if (!m.ical) errors.ical = 'Choose a calendar';
      rule.calendar = m.ical;
      break;
    case 'rrule':
      rr = (m.rrule || '').trim();
      if (!rr) errors.dateRRule = 'Enter a recurrence rule, e.g. RRULE:FREQ=WEEKLY;BYDAY=MO,WE';
      if (m.calendar) {
        if (!calendarByCode(m.calendar)) errors.calendar = 'Unknown holiday calendar';
        rule.holidays = m.calendar;
      }
      break;
  }
  if (m.repeat !== 'once') {
    if (m.startDate) {
      if (!isDate(m.startDate)) errors.startDate = `“${m.startDate}” is not a date (YYYY-MM-DD)`;
      rule.startDate = m.startDate;
    }
    if (m.endDate) {
      if (!isDate(m.endDate)) errors.endDate = `“${m.endDate}” is not a date (YYYY-MM-DD)`;
      rule.endDate = m.endDate;
    }
    if (isDate(m.startDate) && isDate(m.endDate) && m.endDate < m.startDate) errors.endDate = 'The end date is before the start date';
  }
  if (m.repeat !== 'rrule' && rr) {
    if (m.anchor && !isDate(m.anchor)) errors.anchor = `“${m.anchor}” is not a date`;
    rr = dtstartLine(m.anchor) + rr;
    if (interval > 1 && !m.anchor && !m.startDate) errors.anchor = `Repeating every ${interval} needs a date to count from: set “Counting from” or the start date`;
  }
  if (rr) {
    // Keep the original text when it means the same rule.
    if (original.dateRRule && normalizeRRule(original.dateRRule) === normalizeRRule(rr)) rr = original.dateRRule;
    rule.dateRRule = rr;
    if (m.repeat === 'rrule' && !errors.dateRRule) {
      const problem = checkRRule(rr, !!rule.startDate);
      if (problem) errors.dateRRule = problem;
    }
  }
  // Keep the field order of the document format.
  const ordered = {};
  for (const k of ['id', 'name', 'isOpen', 'closedReason', 'dateRRule', 'startDate', 'endDate', 'startTime', 'endTime', 'holidays', 'calendar']) {
    if (k in rule) ordered[k] = rule[k];
  }
  for (const k of Object.keys(rule)) if (!(k in ordered)) ordered[k] = rule[k];
  return {rule: ordered, errors};
}

// ---------------------------------------------------------------- describe

function timePhrase(rule) {
  const st = rule.startTime, en = rule.endTime;
  if (st && en) return `${st}–${en}`;
  if (st) return `from ${st}`;
  if (en) return `until ${en}`;
  return '';
}

export function isOvernight(rule) {
  const a = clockToMin(rule.startTime), b = clockToMin(rule.endTime);
  return !Number.isNaN(a) && !Number.isNaN(b) && b !== 1440 && a > b;
}

function daysPhrase(days, overnight) {
  const set = WEEKDAYS.filter((d) => days.includes(d));
  const key = set.join(',');
  if (key === 'MO,TU,WE,TH,FR') return overnight ? 'Weeknights' : 'Weekdays';
  if (key === 'SA,SU') return 'Weekends';
  if (set.length === 7) return overnight ? 'Nightly' : 'Every day';
  if (set.length === 1) return `Every ${DAY_LONG[set[0]]}`;
  // Runs of three or more consecutive days read as "Mon–Thu".
  const idx = set.map((d) => WEEKDAYS.indexOf(d));
  const contiguous = idx.every((v, i) => i === 0 || v === idx[i - 1] + 1);
  if (contiguous && set.length >= 3) return `${DAY_SHORT[set[0]]}–${DAY_SHORT[set[set.length - 1]]}`;
  return set.map((d) => DAY_SHORT[d]).join(', ');
}

function nthWeekday(nth, weekday) {
  return `${ORDINAL_WORD[nth] || nth} ${DAY_LONG[weekday]}`;
}

// describeRule is the plain-language summary shown in tables and editors:
// "Weekdays 08:00–17:00", "Every year on 25 December", "US public holidays",
// "Every other Saturday from 3 Jan 2026", "Nightly 22:00–06:00".
export function describeRule(rule) {
  const m = ruleToModel(rule);
  const time = timePhrase(rule);
  const overnight = isOvernight(rule);
  let base = '';
  let timeDone = false;
  const quals = [];
  const every = (n, unit) => (n === 2 ? `Every other ${unit}` : `Every ${n} ${unit}s`);
  switch (m.repeat) {
    case 'once':
      base = `On ${fmtDate(m.date)}`;
      break;
    case 'daily':
      if (m.interval > 1) base = m.interval === 2 ? 'Every other day' : `Every ${m.interval} days`;
      else if (time) {
        base = overnight ? 'Nightly' : 'Daily';
        if (!overnight && !m.startDate && !m.endDate) {
          base = `Every day ${time}`;
          timeDone = true;
        }
      } else base = (m.startDate || m.endDate) ? 'Every day' : 'Always';
      break;
    case 'weekly': {
      const days = daysPhrase(m.byday, overnight && m.interval === 1);
      if (m.interval > 1) {
        base = m.byday.length === 1 && m.interval === 2 ? `Every other ${DAY_LONG[m.byday[0]]}`
          : `${every(m.interval, 'week')} on ${m.byday.length === 1 ? DAY_LONG[m.byday[0]] : m.byday.map((d) => DAY_SHORT[d]).join(', ')}`;
      } else {
        base = days;
      }
      break;
    }
    case 'monthly': {
      const day = m.monthlyMode === 'weekday' ? `the ${nthWeekday(m.nth, m.weekday)}`
        : (m.monthDay === -1 ? 'the last day' : `day ${m.monthDay}`);
      base = m.interval > 1 ? `${every(m.interval, 'month')} on ${day}` : `Monthly on ${day}`;
      break;
    }
    case 'yearly': {
      const when = m.yearlyMode === 'weekday'
        ? `the ${ORDINAL_NUM[m.nth] || m.nth} ${DAY_LONG[m.weekday]} of ${MONTHS[m.month - 1]}`
        : (m.monthDay === -1 ? `the last day of ${MONTHS[m.month - 1]}` : `${m.monthDay} ${MONTHS[m.month - 1]}`);
      base = m.interval > 1 ? `Every ${m.interval} years on ${when}` : `Every year on ${when}`;
      break;
    }
    case 'holidays': {
      const c = calendarByCode(m.calendar);
      base = c ? `${c.phrase} public holidays` : `Public holidays (${rule.holidays})`;
      break;
    }
    case 'ical':
      base = `Dates of the calendar “${rule.calendar}”`;
      break;
    default: {
      const body = String(rule.dateRRule || '').split(/\r\n|\r|\n/).map((l) => l.trim()).filter(Boolean)
        .map((l) => l.replace(/^RRULE:/i, '')).join('; ');
      base = `Custom: ${body}`;
      if (rule.holidays) {
        const c = calendarByCode(rule.holidays);
        base += `, on ${c ? c.phrase : rule.holidays} public holidays`;
      }
    }
  }
  const anchor = m.anchor || '';
  if (anchor) quals.push(`from ${fmtDate(anchor, {weekday: false})}`);
  if (m.repeat !== 'once') {
    if (m.startDate && m.endDate) quals.push(`${anchor ? 'between' : 'from'} ${fmtDate(m.startDate, {weekday: false})} ${anchor ? 'and' : 'to'} ${fmtDate(m.endDate, {weekday: false})}`);
    else if (m.startDate) quals.push(`${anchor ? 'not before' : 'from'} ${fmtDate(m.startDate, {weekday: false})}`);
    else if (m.endDate) quals.push(`until ${fmtDate(m.endDate, {weekday: false})}`);
  }
  let out = base;
  if (quals.length) out += ' ' + quals.join(' ');
  if (time && !timeDone) {
    const named = base === 'Nightly' || base === 'Weeknights';
    out += (quals.length || m.repeat === 'once' || m.repeat === 'rrule' ? ', ' : ' ') + time + (overnight && !named ? ' (overnight)' : '');
  }
  return out;
}

// ruleEffect is "Open" or "Closed: <reason>".
export function ruleEffect(rule) {
  return rule.isOpen ? 'Open' : `Closed: ${rule.closedReason || '?'}`;
}

// slug makes a readable, unique rule id from a name.
export function newRuleId(name, taken) {
  let base = String(name || '').toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  if (!base) base = 'rule';
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}

export {ORDINAL_WORD};
