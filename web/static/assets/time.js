// Dates and times. The API renders instants in the schedule's own zone
// ("2026-07-06T08:00:00-05:00"), so the wall clock of a schedule is read
// straight from the string; Intl is only needed for "now" in a zone.

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
export const DAY_SHORT = {MO: 'Mon', TU: 'Tue', WE: 'Wed', TH: 'Thu', FR: 'Fri', SA: 'Sat', SU: 'Sun'};
export const DAY_LONG = {MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday'};
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const MONTH_SHORT = MONTHS.map((m) => m.slice(0, 3));

const pad = (n) => String(n).padStart(2, '0');

// parseStamp reads an RFC 3339 string as wall clock: {date, min, offset}.
export function parseStamp(str) {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(str || '');
  if (!m) return null;
  return {
    date: `${m[1]}-${m[2]}-${m[3]}`,
    y: +m[1], mo: +m[2], d: +m[3], hh: +m[4], mm: +m[5], ss: +(m[6] || 0),
    min: +m[4] * 60 + +m[5] + (+(m[6] || 0)) / 60,
    offset: m[7] === 'Z' ? '+00:00' : (m[7] || ''),
    ms: Date.parse(str),
  };
}

export function isDate(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  if (!m) return false;
  const t = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return t.getUTCFullYear() === +m[1] && t.getUTCMonth() === +m[2] - 1 && t.getUTCDate() === +m[3];
}

function utcOf(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

export function addDays(date, n) {
  const t = utcOf(date);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

export function daysBetween(a, b) {
  return Math.round((utcOf(b) - utcOf(a)) / 86400000);
}

// weekdayOf returns 'MO'..'SU' for a YYYY-MM-DD date.
export function weekdayOf(date) {
  return WEEKDAYS[(utcOf(date).getUTCDay() + 6) % 7];
}

export function mondayOf(date) {
  return addDays(date, -WEEKDAYS.indexOf(weekdayOf(date)));
}

// todayLocal is the browser's local date.
export function todayLocal() {
  const t = new Date();
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}

export function nowLocalTime() {
  const t = new Date();
  return `${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

// fmtDate: "Mon 6 Jul 2026" (opts.weekday, opts.year default true).
export function fmtDate(date, {weekday = true, year = true, longMonth = false} = {}) {
  if (!isDate(date)) return date || '';
  const [y, m, d] = date.split('-').map(Number);
  const parts = [];
  if (weekday) parts.push(DAY_SHORT[weekdayOf(date)]);
  parts.push(String(d), longMonth ? MONTHS[m - 1] : MONTH_SHORT[m - 1]);
  if (year) parts.push(String(y));
  return parts.join(' ');
}

export function fmtClock(min) {
  const m = Math.round(min);
  return `${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

// fmtWhen renders a stamp relative to a reference date: "today 13:00",
// "Mon 08:00" within six days, else "Mon 6 Jul 08:00".
export function fmtWhen(stamp, refDate) {
  const p = parseStamp(stamp);
  if (!p) return '';
  const clock = `${pad(p.hh)}:${pad(p.mm)}`;
  if (refDate) {
    const days = daysBetween(refDate, p.date);
    if (days === 0) return `today ${clock}`;
    if (days > 0 && days < 7) return `${DAY_SHORT[weekdayOf(p.date)]} ${clock}`;
  }
  return `${fmtDate(p.date, {year: refDate ? p.y !== +refDate.slice(0, 4) : true})} ${clock}`;
}

// fmtStamp: "Mon 6 Jul 2026 08:00 (UTC−05:00)".
export function fmtStamp(stamp, {offset = true} = {}) {
  const p = parseStamp(stamp);
  if (!p) return stamp || '';
  let s = `${fmtDate(p.date)} ${pad(p.hh)}:${pad(p.mm)}`;
  if (offset && p.offset) s += ` (UTC${p.offset.replace('-', '−')})`;
  return s;
}

// fmtLocal renders an instant in the browser's zone: "6 Jul 2026, 08:00".
export function fmtLocal(value, {seconds = false, date = true} = {}) {
  const t = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(t.getTime())) return '';
  const opts = {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'};
  if (seconds) opts.second = '2-digit';
  if (date) Object.assign(opts, {day: 'numeric', month: 'short', year: 'numeric'});
  return new Intl.DateTimeFormat('en-GB', opts).format(t);
}

const partsCache = new Map();
function formatter(tz) {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    partsCache.set(tz, f);
  }
  return f;
}

// wallClockIn returns {date, min} of instant ms in zone tz.
export function wallClockIn(tz, ms = Date.now()) {
  const parts = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const hour = parts.hour === '24' ? 0 : +parts.hour;
  return {date: `${parts.year}-${parts.month}-${parts.day}`, min: hour * 60 + +parts.minute + +parts.second / 60};
}

// offsetMinutes is the UTC offset of tz at instant ms.
export function offsetMinutes(tz, ms) {
  const w = wallClockIn(tz, ms);
  const [y, m, d] = w.date.split('-').map(Number);
  const asUTC = Date.UTC(y, m - 1, d) + Math.round(w.min * 60) * 1000;
  return Math.round((asUTC - Math.floor(ms / 1000) * 1000) / 60000);
}

// midnightIn is the instant of local midnight starting date in tz.
export function midnightIn(tz, date) {
  const guess = utcOf(date).getTime();
  let t = guess - offsetMinutes(tz, guess) * 60000;
  const off2 = offsetMinutes(tz, t);
  t = guess - off2 * 60000;
  return t;
}

// dayHours is the length of a local day in hours (23 or 25 on DST days).
export function dayHours(tz, date) {
  try {
    return Math.round((midnightIn(tz, addDays(date, 1)) - midnightIn(tz, date)) / 360000) / 10;
  } catch {
    return 24;
  }
}

let zones = null;
// timeZones lists the IANA zones the browser knows, UTC included.
export function timeZones() {
  if (!zones) {
    let list = [];
    try { list = Intl.supportedValuesOf('timeZone'); } catch { list = []; }
    zones = Array.from(new Set(['UTC', ...list])).sort();
  }
  return zones;
}

export function isTimeZone(tz) {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', {timeZone: tz});
    return true;
  } catch {
    return false;
  }
}

// clockToMin parses HH:MM (24:00 allowed) into minutes, or NaN.
export function clockToMin(s) {
  const m = /^(\d{2}):(\d{2})$/.exec(s || '');
  if (!m) return NaN;
  const h = +m[1], mi = +m[2];
  if (h === 24 && mi === 0) return 1440;
  if (h > 23 || mi > 59) return NaN;
  return h * 60 + mi;
}

// canonicalZone returns the IANA name as Go spells it for what someone
// typed ("america/chicago" -> "America/Chicago", " utc " -> "UTC"), or ''
// when it is not a zone. Browsers accept any case; the server does not.
export function canonicalZone(tz) {
  const t = String(tz || '').trim();
  if (!t) return '';
  const list = timeZones();
  if (list.includes(t)) return t;
  const lower = t.toLowerCase();
  const hit = list.find((z) => z.toLowerCase() === lower);
  if (hit) return hit;
  if (!isTimeZone(t)) return '';
  // A zone the list lacks (an alias, such as "US/Eastern"): Intl's own
  // spelling, which is canonical case.
  const resolved = new Intl.DateTimeFormat('en-US', {timeZone: t}).resolvedOptions().timeZone;
  return resolved.toLowerCase() === lower ? resolved : (list.includes(resolved) ? resolved : '');
}
