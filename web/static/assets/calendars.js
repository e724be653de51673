// Holiday calendars accepted in a rule's "holidays" field. The catalogue
// comes from the server (GET /api/v1/calendars: every country and region
// the engine knows), loaded at start-up; until it arrives (or on the
// sign-in page) codes are shown as they are.

let catalogue = [];
let byCode = new Map();

// setCatalogue keeps the server's list: [{code, country, countryName,
// region?, regionName?}].
export function setCatalogue(list) {
  catalogue = (list || []).map((c) => ({
    ...c,
    name: c.regionName ? `${c.countryName}: ${c.regionName}` : c.countryName,
    phrase: c.regionName || c.countryName || c.code,
  }));
  byCode = new Map(catalogue.map((c) => [c.code, c]));
}

export function holidayCalendars() {
  return catalogue;
}

// normalizeCalendar accepts "us", "au_nsw" as the engine does.
export function normalizeCalendar(code) {
  return String(code || '').trim().toUpperCase().replaceAll('_', '-');
}

// calendarByCode finds a code in the catalogue; before the catalogue is
// loaded every well-formed code is taken as it is (the server validates).
export function calendarByCode(code) {
  const c = normalizeCalendar(code);
  if (!c) return null;
  if (!catalogue.length) return /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(c) ? {code: c, name: c, phrase: c} : null;
  return byCode.get(c) || null;
}

// searchCalendars filters the catalogue by code, country or region.
export function searchCalendars(q) {
  const s = String(q || '').trim().toLowerCase();
  if (!s) return catalogue;
  return catalogue.filter((c) => c.code.toLowerCase().includes(s) || c.name.toLowerCase().includes(s));
}
