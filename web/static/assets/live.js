// Live statuses. When the service has GET /api/v1/events (Server-Sent
// Events of CloudEvents), read it with fetch() — EventSource cannot send the
// bearer token — and refresh on every event. Without it (404), poll
// /api/v1/schedules every 5 seconds.

import {api, getToken} from './api.js';
import {emit, onVersion, refreshStatuses, reportError, state} from './state.js';

export const POLL_MS = 5000;
const SLOW_POLL_MS = 30000; // with the stream: keeps "as of" and next change fresh
const RETRY_SSE_MS = 60000; // how often polling mode tries the stream again
const RETRY_MISSING_MS = 10 * 60000; // after a 404

let running = false;
let abort = null;
let timer = null;
let debounce = null;
let nextStreamTry = 0;
let lastEventId = ''; // resume point after a dropped stream

function setMode(mode) {
  if (state.live !== mode) {
    state.live = mode;
    emit('live');
  }
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(tick, ms);
}

async function tick() {
  if (!running) return;
  if (state.live !== 'live' && Date.now() >= nextStreamTry) {
    connect();
    return;
  }
  try {
    await refreshStatuses();
  } catch { /* shown by the next successful refresh; keep polling */ }
  // Without the stream, new versions are found by polling the config.
  if (state.live !== 'live') {
    try {
      const prev = state.base ? state.base.version : 0;
      const cfg = state.base ? await fetchVersion() : null;
      if (cfg && cfg.version > prev) await onVersion(cfg);
    } catch { /* next tick */ }
  }
  schedule(state.live === 'live' ? SLOW_POLL_MS : POLL_MS);
}

function refreshSoon() {
  clearTimeout(debounce);
  debounce = setTimeout(() => { refreshStatuses().catch(() => {}); }, 150);
}

// parseSSE feeds text chunks and calls onEvent({event, data, id}) for each
// complete event (https://html.spec.whatwg.org/multipage/server-sent-events.html).
export function sseParser(onEvent) {
  let buf = '';
  let ev = {event: '', data: [], id: ''};
  return (chunk) => {
    buf += chunk;
    const lines = buf.split(/\r\n|\r|\n/);
    buf = lines.pop();
    for (const line of lines) {
      if (line === '') {
        if (ev.data.length || ev.event) onEvent({event: ev.event || 'message', data: ev.data.join('\n'), id: ev.id});
        ev = {event: '', data: [], id: ''};
        continue;
      }
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const name = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (name === 'event') ev.event = value;
      else if (name === 'data') ev.data.push(value);
      else if (name === 'id') ev.id = value;
    }
  };
}

// VERSION_EVENT announces a config version the replica applied.
const VERSION_EVENT = 'io.schedulemanager.config.version';

function handleEvent(e) {
  if (e.event === VERSION_EVENT) {
    try {
      onVersion(JSON.parse(e.data)).catch(reportError);
    } catch { /* not JSON: ignored */ }
    return;
  }
  if (e.id) lastEventId = e.id;
  if (!e.event.startsWith('io.schedulemanager.')) return;
  // Apply the new state at once, then fetch the full answer (next change).
  try {
    const ce = JSON.parse(e.data);
    const name = ce.subject;
    const d = ce.data || {};
    const row = state.statuses.get(name);
    if (row && typeof d.isOpen === 'boolean') {
      row.status = {...row.status, isOpen: d.isOpen, closedReason: d.isOpen ? '' : (d.closedReason || 'closed')};
      state.statusesAt = new Date();
      emit('statuses');
    }
  } catch { /* not JSON: the refresh below still runs */ }
  refreshSoon();
}

async function connect() {
  abort = new AbortController();
  let res;
  const headers = {Authorization: 'Bearer ' + getToken(), Accept: 'text/event-stream'};
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  try {
    res = await fetch('/api/v1/events?versions=true', {
      headers,
      signal: abort.signal, cache: 'no-store', credentials: 'omit',
    });
  } catch {
    if (!running) return;
    nextStreamTry = Date.now() + POLL_MS;
    setMode('polling');
    schedule(0);
    return;
  }
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok || !res.body || !type.startsWith('text/event-stream')) {
    try { await res.body?.cancel(); } catch { /* ignore */ }
    // 404: this service has no event stream; ask again rarely. Other
    // failures (503 while starting) are retried sooner.
    nextStreamTry = Date.now() + (res.status === 404 ? RETRY_MISSING_MS : RETRY_SSE_MS);
    setMode('polling');
    schedule(0);
    return;
  }
  setMode('live');
  schedule(SLOW_POLL_MS);
  refreshSoon(); // catch up on anything missed while connecting
  const feed = sseParser(handleEvent);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      feed(value);
    }
  } catch { /* dropped connection or stop(): reconnect below */ }
  if (!running) return;
  // The stream ended: poll until it is back.
  nextStreamTry = Date.now() + 1000;
  setMode('polling');
  schedule(0);
}

// fetchVersion is the latest version and its metadata, from the config.
async function fetchVersion() {
  const cfg = await api.config();
  return {version: cfg.version, author: cfg.meta && cfg.meta.author, message: cfg.meta && cfg.meta.message};
}

export function startLive() {
  if (running) return;
  running = true;
  nextStreamTry = 0;
  lastEventId = '';
  setMode('connecting');
  connect();
}

export function stopLive() {
  running = false;
  clearTimeout(timer);
  clearTimeout(debounce);
  if (abort) abort.abort();
  abort = null;
}
