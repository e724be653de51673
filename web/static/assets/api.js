// The admin API client: bearer token, JSON in and out, errors as ApiError
// with the server's message and its field errors.

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body || null;
  }
  // errors lists the validation problems: [{path, message}].
  get errors() {
    return (this.body && Array.isArray(this.body.errors)) ? this.body.errors : [];
  }
}

const enc = encodeURIComponent;
let token = null;
let unauthorized = () => {};

export function setToken(t) { token = t; }
export function getToken() { return token; }
export function onUnauthorized(fn) { unauthorized = fn; }

export async function request(method, path, body, {signal, auth = true} = {}) {
  const headers = {Accept: 'application/json'};
  if (auth && token) headers.Authorization = 'Bearer ' + token;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, {method, headers, body: payload, signal, cache: 'no-store', credentials: 'omit'});
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, null, 'Cannot reach the server. Check the connection and try again.');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const msg = (data && data.error) || `The server answered ${res.status} ${res.statusText}`.trim();
    const err = new ApiError(res.status, data, msg);
    if (res.status === 401 && auth) unauthorized(err);
    throw err;
  }
  return data;
}


function query(params) {
  const q = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => `${k}=${enc(v)}`).join('&');
  return q ? '?' + q : '';
}

export const api = {
  config: () => request('GET', '/api/v1/config'),
  // publish sends the document pretty-printed, so the stored version reads
  // well in history and export.
  putConfig: (doc, version, message) => request('PUT', '/api/v1/config',
    '{"version":' + JSON.stringify(version) + ',"message":' + JSON.stringify(message || '') +
    ',"data":' + JSON.stringify(doc, null, 2) + '}'),
  // schedulesPage: {limit, cursor, q, status, sort} -> {version, schedules, total, next}.
  schedulesPage: (p) => request('GET', '/api/v1/schedules' + query(p)),
  schedule: (name) => request('GET', '/api/v1/schedules/' + enc(name)),
  timeline: (name, from, to) => request('GET', `/api/v1/schedules/${enc(name)}/timeline?from=${enc(from)}&to=${enc(to)}`),
  close: (name) => request('POST', `/api/v1/schedules/${enc(name)}/close`),
  open: (name) => request('POST', `/api/v1/schedules/${enc(name)}/open`),
  history: (limit = 100) => request('GET', '/api/v1/history?limit=' + limit),
  version: (v) => request('GET', '/api/v1/history/' + enc(String(v))),
  rollback: (version, message) => request('POST', '/api/v1/rollback', message ? {version, message} : {version}),
  check: (name, simulate) => request('GET', `/check-schedule?name=${enc(name)}&simulate=${enc(simulate)}`),
  // Drafts: what publishing would change, and a draft's timeline/answer.
  preview: (data, days) => request('POST', '/api/v1/preview', days ? {data, days} : {data}),
  previewTimeline: (data, schedule, from, to) => request('POST', '/api/v1/preview/timeline', {data, schedule, from, to}),
  previewCheck: (data, schedule, simulate) => request('POST', '/api/v1/preview/check', {data, schedule, simulate}),
  // Calendars and feeds.
  calendars: () => request('GET', '/api/v1/calendars'),
  holidays: (code, year) => request('GET', `/api/v1/holidays/${enc(code)}?year=${enc(year)}`),
  putCalendar: (id, body) => request('PUT', '/api/v1/calendars/' + enc(id), body),
  refreshCalendar: (id) => request('POST', `/api/v1/calendars/${enc(id)}/refresh`),
  feeds: () => request('GET', '/api/v1/feeds'),
  createFeed: (schedule, label) => request('POST', '/api/v1/feeds', {schedule, label}),
  revokeFeed: (id) => request('DELETE', '/api/v1/feeds/' + enc(id)),
  // Webhooks.
  webhooks: () => request('GET', '/api/v1/webhooks'),
  setWebhook: (id, enable) => request('POST', `/api/v1/webhooks/${enc(id)}/${enable ? 'enable' : 'disable'}`),
  deadLetters: (id) => request('GET', `/api/v1/webhooks/${enc(id)}/deadletters?limit=50`),
  redeliverAll: (id) => request('POST', `/api/v1/webhooks/${enc(id)}/deadletters/redeliver`),
  redeliverOne: (id, seq) => request('POST', `/api/v1/webhooks/${enc(id)}/deadletters/${enc(String(seq))}/redeliver`),
};

// download fetches a file with the token (an <a href> cannot send it) and
// saves it under name.
export async function download(path, name) {
  const res = await fetch(path, {headers: {Authorization: 'Bearer ' + token}, cache: 'no-store', credentials: 'omit'});
  if (!res.ok) throw new ApiError(res.status, null, `The server answered ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// probeRole asks the API which role the token has.
export async function probeRole() {
  const me = await request('GET', '/api/v1/whoami');
  return me.role === 'admin' ? 'admin' : 'viewer';
}
