// Application state: the session, the published config (the base), the
// draft (edits kept in localStorage until Publish), the live statuses and
// the last publish attempt. Views subscribe to changes by topic.

import {ApiError, api, probeRole, setToken} from './api.js';
import {clone, docChanges, equal, merge3} from './diff.js';
import {setCatalogue} from './calendars.js';

const TOKEN_KEY = 'schedule-manager.token';
const ROLE_KEY = 'schedule-manager.role';
const DRAFT_KEY = 'schedule-manager.draft';

export const CONFLICT_MESSAGE = 'Schedules were updated by someone else and cannot be published. Please reload and try again.';

export const state = {
  token: null,
  role: null, // 'admin' | 'viewer'
  base: null, // {version, data, versionIsDeployed, meta}
  draft: null, // {baseVersion, baseDoc, doc, updated}
  statuses: new Map(), // name -> schedule with status (the rows loaded so far)
  statusesVersion: 0, // the version the last statuses answer was for
  statusesLoaded: false, // a first statuses answer arrived
  statusesAt: null, // Date of the last statuses fetch
  live: 'connecting', // 'live' (events stream) | 'polling' | 'connecting'
  serverErrors: [], // validation errors of the last publish, mapped to items
  publish: null, // {kind: 'ok'|'conflict'|'invalid'|'error', message, version}
  published: 0, // the version this browser published last
  calendars: null, // GET /api/v1/calendars: {holidays, calendars}
  firstPage: null, // {at, answer}: the default first page of statuses, fetched last
};

const listeners = new Set();
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export function emit(topic, data) {
  for (const fn of [...listeners]) {
    try { fn(topic, data); } catch (e) { reportError(e); }
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
    await api.schedulesPage({limit: 1});
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
  state.statuses = new Map();
  state.statusesLoaded = false;
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
  const replicas = JSON.stringify(cfg.replicas || []);
  if (prev && prev.version === cfg.version && prev.versionIsDeployed === cfg.versionIsDeployed && prev.replicasKey === replicas && draftRaw === lastDraftRaw) {
    return false;
  }
  lastDraftRaw = draftRaw;
  state.base = {version: cfg.version, data: normalizeDoc(cfg.data), versionIsDeployed: cfg.versionIsDeployed,
    replicas: cfg.replicas || [], replicasKey: replicas, meta: cfg.meta || {}};
  state.draft = readDraft();
  if (state.draft && !isStale() && equal(state.draft.doc, state.base.data)) {
    state.draft = null;
    writeDraft();
  }
  if (state.publish && state.publish.kind === 'conflict' && isStale()) state.publish = null; // reloaded: the stale panel takes over
  watchDeployment();
  emit('base');
  return !prev || prev.version !== cfg.version;
}

// deployment: while the latest version is not served by every live
// replica, GET /api/v1/config is polled every second so the banner that
// says so (and which replicas lag) goes as soon as they catch up.
let deployTimer = null;
function watchDeployment() {
  clearTimeout(deployTimer);
  if (!state.base || state.base.versionIsDeployed !== false || !state.token) return;
  deployTimer = setTimeout(() => { loadBase().catch(() => watchDeployment()); }, 1000);
}

// lagging lists the live replicas that serve an older version than the
// latest.
export function lagging() {
  if (!state.base) return [];
  return (state.base.replicas || []).filter((r) => r.version < state.base.version);
}

// start loads what every page needs, in parallel: the config, the first
// statuses and the holiday catalogue.
export async function loadAll() {
  // The catalogue is not waited for: until it comes, codes show as codes.
  loadCalendars().catch(() => {});
  await Promise.all([loadBase(), refreshStatuses().catch(() => {})]);
}

export async function loadCalendars() {
  const c = await api.calendars();
  state.calendars = c;
  setCatalogue(c.holidays || []);
  emit('calendars');
  return c;
}

// onVersion handles a version event of the live stream: another
// publish (or a manual close, a calendar refresh) is loaded at once and
// named.
export async function onVersion(ev) {
  if (!state.base || !ev || !(ev.version > state.base.version)) return;
  const wasStale = isStale();
  await loadBase();
  if (ev.version !== state.published) {
    emit('notice', {version: ev.version, author: ev.author || '', message: ev.message || '', staleNow: !wasStale && isStale()});
  }
  refreshStatuses().catch(() => {});
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
  const r = merge3(state.draft.baseDoc, state.draft.doc, state.base.data);
  state.draft = {baseVersion: state.base.version, baseDoc: clone(state.base.data), doc: r.doc, updated: new Date().toISOString()};
  if (equal(r.doc, state.base.data)) state.draft = null;
  state.publish = null;
  writeDraft();
  emit('doc');
  return r;
}

export function previewReapply() {
  if (!state.draft || !state.base) return null;
  return merge3(state.draft.baseDoc, state.draft.doc, state.base.data);
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
    state.published = res.version;
    state.draft = null;
    writeDraft();
    state.serverErrors = [];
    state.publish = {kind: 'ok', version: res.version, message: `Published version ${res.version}.`, warnings: res.warnings || []};
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

// ---------------------------------------------------------------- statuses and manual close

// The statuses a page needs: the Schedules page loads its own pages (and
// sets a loader that reloads them); elsewhere the first page is enough to
// learn the served version.
// FIRST_PAGE is also the Schedules page's first request, so the answer
// fetched at start-up (in parallel with the config) draws its first rows.
export const FIRST_PAGE = 50;
const defaultLoader = async () => {
  const p = await api.schedulesPage({limit: FIRST_PAGE});
  state.firstPage = {at: Date.now(), answer: p};
  return p;
};
let statusLoader = defaultLoader;
export function setStatusLoader(fn) { statusLoader = fn || defaultLoader; }

// putStatuses keeps the rows of a statuses answer.
export function putStatuses(list, version) {
  for (const row of list || []) state.statuses.set(row.name, row);
  if (version) state.statusesVersion = version;
  state.statusesLoaded = true;
  state.statusesAt = new Date();
}

let refreshing = null;
export function refreshStatuses() {
  if (!state.token) return Promise.resolve();
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const s = await statusLoader();
        if (s) {
          putStatuses(s.schedules, s.version);
          emit('statuses');
          if (state.base && (s.version > state.base.version || state.base.versionIsDeployed === false)) {
            await loadBase();
          }
        }
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export function statusOf(name) {
  return state.statuses.get(name) || null;
}

// loadStatus fetches one schedule's status (for pages showing one).
export async function loadStatus(name) {
  try {
    const s = await api.schedule(name);
    putStatuses([s], s.version);
    emit('statuses');
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

// setManualClose closes or reopens a schedule at once (no draft). The
// server edits the latest version; an open draft is moved onto the new
// version by the three-way merge, which keeps the new manual close.
export async function setManualClose(name, closed) {
  const res = closed ? await api.close(name) : await api.open(name);
  if (res.changed) {
    state.published = res.version;
    const before = state.draft && !isStale() ? state.draft : null;
    await loadBase();
    if (before && state.draft && isStale()) {
      const r = merge3(state.draft.baseDoc, state.draft.doc, state.base.data);
      if (!r.conflicts.length) {
        state.draft = {baseVersion: state.base.version, baseDoc: clone(state.base.data), doc: r.doc, updated: new Date().toISOString()};
        if (equal(r.doc, state.base.data)) state.draft = null;
        writeDraft();
        emit('doc');
      }
    }
  }
  await loadStatus(name);
  return res;
}
