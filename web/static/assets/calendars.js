// Holiday calendars accepted in a rule's "holidays" field. The list must
// equal engine.HolidayCalendars(); web/calendars_test.go checks that.
// phrase completes "… public holidays".

export const HOLIDAY_CALENDARS = [
  {code: 'AU-ACT', name: 'Australia: Australian Capital Territory', phrase: 'Australian Capital Territory'},
  {code: 'AU-NSW', name: 'Australia: New South Wales', phrase: 'New South Wales'},
  {code: 'AU-NT', name: 'Australia: Northern Territory', phrase: 'Northern Territory'},
  {code: 'AU-QLD', name: 'Australia: Queensland', phrase: 'Queensland'},
  {code: 'AU-SA', name: 'Australia: South Australia', phrase: 'South Australia'},
  {code: 'AU-TAS', name: 'Australia: Tasmania', phrase: 'Tasmania'},
  {code: 'AU-VIC', name: 'Australia: Victoria', phrase: 'Victoria'},
  {code: 'AU-WA', name: 'Australia: Western Australia', phrase: 'Western Australia'},
  {code: 'CA', name: 'Canada', phrase: 'Canadian'},
  {code: 'DE', name: 'Germany (national)', phrase: 'German'},
  {code: 'DE-BB', name: 'Germany: Brandenburg', phrase: 'Brandenburg'},
  {code: 'DE-BE', name: 'Germany: Berlin', phrase: 'Berlin'},
  {code: 'DE-BW', name: 'Germany: Baden-Württemberg', phrase: 'Baden-Württemberg'},
  {code: 'DE-BY', name: 'Germany: Bavaria', phrase: 'Bavarian'},
  {code: 'DE-HB', name: 'Germany: Bremen', phrase: 'Bremen'},
  {code: 'DE-HE', name: 'Germany: Hesse', phrase: 'Hesse'},
  {code: 'DE-HH', name: 'Germany: Hamburg', phrase: 'Hamburg'},
  {code: 'DE-MV', name: 'Germany: Mecklenburg-Vorpommern', phrase: 'Mecklenburg-Vorpommern'},
  {code: 'DE-NI', name: 'Germany: Lower Saxony', phrase: 'Lower Saxony'},
  {code: 'DE-NW', name: 'Germany: North Rhine-Westphalia', phrase: 'North Rhine-Westphalia'},
  {code: 'DE-RP', name: 'Germany: Rhineland-Palatinate', phrase: 'Rhineland-Palatinate'},
  {code: 'DE-SH', name: 'Germany: Schleswig-Holstein', phrase: 'Schleswig-Holstein'},
  {code: 'DE-SL', name: 'Germany: Saarland', phrase: 'Saarland'},
  {code: 'DE-SN', name: 'Germany: Saxony', phrase: 'Saxony'},
  {code: 'DE-ST', name: 'Germany: Saxony-Anhalt', phrase: 'Saxony-Anhalt'},
  {code: 'DE-TH', name: 'Germany: Thuringia', phrase: 'Thuringia'},
  {code: 'FR', name: 'France', phrase: 'French'},
  {code: 'GB', name: 'United Kingdom', phrase: 'UK'},
  {code: 'IE', name: 'Ireland', phrase: 'Irish'},
  {code: 'NL', name: 'Netherlands', phrase: 'Dutch'},
  {code: 'NZ', name: 'New Zealand', phrase: 'New Zealand'},
  {code: 'US', name: 'United States', phrase: 'US'},
];

// normalizeCalendar accepts "us", "au_nsw" as the engine does.
export function normalizeCalendar(code) {
  return String(code || '').trim().toUpperCase().replaceAll('_', '-');
}

export function calendarByCode(code) {
  const c = normalizeCalendar(code);
  return HOLIDAY_CALENDARS.find((x) => x.code === c) || null;
}
