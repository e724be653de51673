// Application state: the session, the published config (the base), the
// draft (edits kept in localStorage until Publish), the live statuses and
// the last publish attempt. Views subscribe to changes by topic.

import {ApiError, api, probeRole, setToken} from './api.js';
import {clone, docChanges, equal, rebase} from './diff.js';

const TOKEN_KEY = 'schedule-manager.token';
const ROLE_KEY = 'schedule-manager.role';
const DRAFT_KEY = 'schedule-manager.draft';

export const CONFLICT_MESSAGE = 'Schedules were updated by someone else and cannot be published. Please reload and try again.';
export const IN_PROGRESS_MESSAGE = 'Another schedule publish is in progress.';

export const state = {
  token: null,
  role: null, // 'admin' | 'viewer'
  base: null, // {version, data, versionIsDeployed, meta}
  draft: null, // {baseVersion, baseDoc, doc, updated}
  statuses: null, // GET /api/v1/schedules: {version, schedules}
  statusesAt: null, // Date of the last statuses fetch
  live: 'connecting', // 'live' (events stream) | 'polling' | 'connecting'
  serverErrors: [], // validation errors of the last publish, mapped to items
  publish: null, // {kind: 'ok'|'conflict'|'invalid'|'error', message, version}
};

const listeners = new Set();
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export function emit(topic) {
  for (const fn of [...listeners]) {
    try { fn(topic); } catch (e) { reportError(e); }
  }
}

let errorSink = (e) => { throw e; };
export function onError(fn) { errorSink = fn; }
export function reportError(e) { errorSink(e); }

export const isAdmin = () => state.role === 'admin';

// ---------------------------------------------------------------- session

export function restoreSession() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const role = sessionStorage.getItem(ROLE_KEY);
  if (!token) return false;
  state.token = token;
  state.role = role === 'admin' ? 'admin' : 'viewer';
  setToken(token);
  return true;
}

// signIn checks the token with a read, then learns its role.
export async function signIn(token) {
  setToken(token);
  try {
    await api.schedules();
    const role = await probeRole();
    state.token = token;
    state.role = role;
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ROLE_KEY, role);
  } catch (e) {
    setToken(null);
    throw e;
  }
  emit('auth');
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ROLE_KEY);
  setToken(null);
  state.token = null;
  state.role = null;
  state.base = null;
  state.statuses = null;
  state.publish = null;
  state.serverErrors = [];
  emit('auth');
}

// ---------------------------------------------------------------- config and draft

function readDraft() {
  try {
    const d = JSON.parse(localStorage.getItem(DRAFT_KEY) || 'null');
    if (d && d.doc && d.baseDoc && Number.isFinite(d.baseVersion)) return d;
  } catch { /* a broken draft is dropped */ }
  return null;
}

function writeDraft() {
  if (state.draft) localStorage.setItem(DRAFT_KEY, JSON.stringify(state.draft));
  else localStorage.removeItem(DRAFT_KEY);
  lastDraftRaw = localStorage.getItem(DRAFT_KEY);
}

// Another tab of this browser changed the draft.
window.addEventListener('storage', (ev) => {
  if (ev.key !== DRAFT_KEY || !state.base) return;
  state.draft = readDraft();
  emit('doc');
});

function normalizeDoc(data) {
  const d = data && typeof data === 'object' ? clone(data) : {};
  if (!Array.isArray(d.rules)) d.rules = [];
  if (!Array.isArray(d.schedules)) d.schedules = [];
  return d;
}

// loadBase reads the published config. It tells the views only when
// something changed, so that a poll does not redraw (and steal a click
// from) the page.
export async function loadBase() {
  const cfg = await api.config();
  const prev = state.base;
  const draftRaw = localStorage.getItem(DRAFT_KEY);
  if (prev && prev.version === cfg.version && prev.versionIsDeployed === cfg.versionIsDeployed && draftRaw === lastDraftRaw) {
    return false;
  }
  lastDraftRaw = draftRaw;
  state.base = {version: cfg.version, data: normalizeDoc(cfg.data), versionIsDeployed: cfg.versionIsDeployed, meta: cfg.meta || {}};
  state.draft = readDraft();
  if (state.draft && !isStale() && equal(state.draft.doc, state.base.data)) {
    state.draft = null;
    writeDraft();
  }
  emit('base');
  return !prev || prev.version !== cfg.version;
}
let lastDraftRaw = null;

// doc is the working document: the draft, or the published one. A viewer
// always sees the published one (a draft left in this browser by an admin
// session is not theirs to see as if it were live).
export function doc() {
  if (state.draft && isAdmin()) return state.draft.doc;
  return state.base ? state.base.data : {rules: [], schedules: []};
}

export const hasDraft = () => !!state.draft;
export const isStale = () => !!(state.draft && state.base && state.draft.baseVersion !== state.base.version);

export function draftChanges() {
  return state.draft && isAdmin() ? docChanges(state.draft.baseDoc, state.draft.doc) : [];
}

// editDoc applies fn to a copy of the working document and keeps the result
// as the draft (or drops the draft when it equals the published version).
export function editDoc(fn) {
  const d = clone(doc());
  fn(d);
  setDraftDoc(d);
}

function setDraftDoc(d) {
  if (!state.base) return;
  if (state.publish && state.publish.kind === 'ok') state.publish = null; // a new edit: the last success is old news
  if (state.draft) {
    if (!isStale() && equal(d, state.base.data)) state.draft = null;
    else state.draft = {...state.draft, doc: d, updated: new Date().toISOString()};
  } else if (!equal(d, state.base.data)) {
    state.draft = {baseVersion: state.base.version, baseDoc: clone(state.base.data), doc: d, updated: new Date().toISOString()};
  }
  writeDraft();
  emit('doc');
}

export function discardDraft() {
  state.draft = null;
  state.serverErrors = [];
  state.publish = null;
  writeDraft();
  emit('doc');
}

// reapplyDraft moves a stale draft onto the latest version.
export function reapplyDraft() {
  if (!state.draft || !state.base) return null;
  const r = rebase(state.draft.baseDoc, state.draft.doc, state.base.data);
  state.draft = {baseVersion: state.base.version, baseDoc: clone(state.base.data), doc: r.doc, updated: new Date().toISOString()};
  if (equal(r.doc, state.base.data)) state.draft = null;
  state.publish = null;
  writeDraft();
  emit('doc');
  return r;
}

export function previewReapply() {
  if (!state.draft || !state.base) return null;
  return rebase(state.draft.baseDoc, state.draft.doc, state.base.data);
}

// ---------------------------------------------------------------- server errors

// mapErrors ties "rules[3].endTime" to the rule with that index in the
// document that was sent, so the editors can show the message next to the
// field even after the rules are reordered.
export function mapErrors(errors, sent) {
  return (errors || []).map((e) => {
    const m = /^(rules|schedules)\[(\d+)\](?:\.([A-Za-z]+))?(?:\[(\d+)\])?/.exec(e.path || '');
    if (!m) return {...e, kind: 'document', key: null, field: '', label: ''};
    const kind = m[1] === 'rules' ? 'rule' : 'schedule';
    const item = (sent[m[1]] || [])[+m[2]];
    const key = item ? (kind === 'rule' ? item.id : item.name) : null;
    return {...e, kind, key, field: m[3] || '', sub: m[4] !== undefined ? +m[4] : null, label: (item && (item.name || key)) || e.path};
  });
}

export function errorsFor(kind, key) {
  return state.serverErrors.filter((e) => e.kind === kind && e.key === key);
}

export function clearErrorsFor(kind, key) {
  const before = state.serverErrors.length;
  state.serverErrors = state.serverErrors.filter((e) => !(e.kind === kind && e.key === key));
  if (before !== state.serverErrors.length) emit('errors');
}

// ---------------------------------------------------------------- publish

export async function publish(message) {
  if (!state.draft) return null;
  const sent = state.draft.doc;
  try {
    const res = await api.putConfig(sent, state.draft.baseVersion, message);
    state.draft = null;
    writeDraft();
    state.serverErrors = [];
    state.publish = {kind: 'ok', version: res.version, message: `Published version ${res.version}.`};
    await waitServed(res.version);
    await loadBase().catch(reportError);
    refreshStatuses().catch(() => {});
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 409) {
      state.publish = {kind: 'conflict', message: CONFLICT_MESSAGE, currentVersion: e.body && e.body.currentVersion};
    } else if (e.status === 400 && e.errors.length) {
      state.serverErrors = mapErrors(e.errors, sent);
      state.publish = {kind: 'invalid', message: e.message};
    } else {
      state.publish = {kind: 'error', message: e.message};
    }
  }
  emit('doc');
  emit('publish');
  return state.publish;
}

// waitServed waits (briefly) until the service answers with version v.
async function waitServed(v) {
  for (let i = 0; i < 20; i++) {
    try {
      const s = await api.schedules();
      if (s.version >= v) {
        state.statuses = s;
        state.statusesAt = new Date();
        return;
      }
    } catch { /* retried */ }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------- statuses and manual close

let refreshing = null;
export function refreshStatuses() {
  if (!state.token) return Promise.resolve();
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const s = await api.schedules();
        state.statuses = s;
        state.statusesAt = new Date();
        emit('statuses');
        if (state.base && (s.version > state.base.version || state.base.versionIsDeployed === false)) {
          await loadBase();
        }
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export function statusOf(name) {
  const list = state.statuses ? state.statuses.schedules : [];
  return list.find((s) => s.name === name) || null;
}

// setManualClose closes or reopens a schedule at once (no draft). The
// server edits the latest version; when nothing else changed in between,
// an open draft moves onto the new version so it stays publishable.
export async function setManualClose(name, closed) {
  const before = state.base;
  const res = closed ? await api.close(name) : await api.open(name);
  if (res.changed && before) {
    const cfg = await api.config();
    const data = normalizeDoc(cfg.data);
    const expected = clone(before.data);
    for (const s of expected.schedules) if (s.name === name) s.manualClose = closed;
    const onlyThat = cfg.version === res.version && res.version === before.version + 1 && equal(expected, data);
    if (state.draft && !isStale() && onlyThat) {
      const r = rebase(state.draft.baseDoc, state.draft.doc, data);
      if (!r.conflicts.length) {
        state.draft = {baseVersion: cfg.version, baseDoc: data, doc: r.doc, updated: new Date().toISOString()};
        if (equal(r.doc, data)) state.draft = null;
        writeDraft();
      }
    }
    state.base = {version: cfg.version, data, versionIsDeployed: cfg.versionIsDeployed, meta: cfg.meta || {}};
    emit('base');
  }
  await refreshStatuses();
  return res;
}
