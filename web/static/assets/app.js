// Schedule Manager admin UI: the shell (header, banners, router) and the
// start-up. Plain ES modules, no build step.

import {h, mount} from './dom.js';
import {ApiError, onUnauthorized} from './api.js';
import {draftChanges, hasDraft, isAdmin, isStale, lagging, loadAll, onError,
  restoreSession, signOut, state, subscribe} from './state.js';
import {startLive, stopLive} from './live.js';
import {confirmDialog, keepFocus, notify} from './ui.js';
import {timeZones} from './time.js';
import {signInView} from './views/signin.js';
import {schedulesView} from './views/schedules.js';
import {scheduleEditor} from './views/schedule-edit.js';
import {rulesView} from './views/rules.js';
import {ruleEditor} from './views/rule-edit.js';
import {weekView} from './views/week.js';
import {simulateView} from './views/simulate.js';
import {publishView} from './views/publish.js';
import {historyView} from './views/history.js';
import {calendarsView} from './views/calendars.js';
import {webhooksView} from './views/webhooks.js';

const NAV = [
  ['schedules', 'Schedules'],
  ['rules', 'Rules'],
  ['week', 'Week'],
  ['simulate', 'Simulate'],
  ['calendars', 'Calendars'],
  ['webhooks', 'Webhooks'],
  ['history', 'History'],
  ['publish', 'Publish'],
];

let current = null; // the mounted view: {el, update?, destroy?}

function parseHash() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/schedules';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = [];
  }
  return {parts, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1))};
}

function resolve(route) {
  const [a, b, c] = route.parts;
  switch (a || 'schedules') {
    case 'schedules':
      if (b === 'new') return scheduleEditor(route, {mode: 'new'});
      if ((b === 'edit' || b === 'copy') && c !== undefined) return scheduleEditor(route, {mode: b, name: c});
      return schedulesView(route);
    case 'rules':
      if (b === 'new') return ruleEditor(route, {mode: 'new'});
      if ((b === 'edit' || b === 'copy') && c !== undefined) return ruleEditor(route, {mode: b, id: c});
      return rulesView(route);
    case 'week': return weekView(route, {name: b});
    case 'simulate': return simulateView(route);
    case 'publish': return publishView(route);
    case 'history': return historyView(route);
    case 'calendars': return calendarsView(route);
    case 'webhooks': return webhooksView(route);
    default: return null;
  }
}

let headerKey = '';

// renderHeader redraws the top bar when what it shows changed, keeping the
// keyboard focus where it was.
function renderHeader() {
  const top = document.getElementById('top');
  if (!state.token) {
    headerKey = '';
    mount(top, h('div', {class: 'topbar'}, h('span', {class: 'brand'}, 'Schedule Manager')));
    return;
  }
  const section = parseHash().parts[0] || 'schedules';
  const changes = draftChanges().length;
  const key = [section, changes, state.live, state.base ? state.base.version : '', state.role, hasDraft()].join('|');
  if (key === headerKey) return;
  headerKey = key;
  const liveText = state.live === 'live' ? 'Live' : state.live === 'polling' ? 'Auto-refresh 5 s' : 'Connecting…';
  keepFocus(top, () => mount(top, h('div', {class: 'topbar'},
    h('a', {class: 'brand', href: '#/schedules', dataset: {focusKey: 'brand'}}, 'Schedule Manager'),
    h('nav', {'aria-label': 'Main'},
      h('ul', null, NAV.filter(([id]) => id !== 'publish' || isAdmin()).map(([id, label]) =>
        h('li', null, h('a', {href: '#/' + id, id: 'nav-' + id, 'aria-current': section === id ? 'page' : null, dataset: {focusKey: 'nav-' + id}},
          label,
          id === 'publish' && changes ? h('span', {class: 'count', 'aria-label': `${changes} unpublished changes`}, String(changes)) : null))))),
    h('div', {class: 'session'},
      h('span', {class: `live live-${state.live}`, title: state.live === 'live' ? 'Statuses update from the event stream' : 'Statuses refresh every 5 seconds'},
        h('span', {class: 'dot', 'aria-hidden': 'true'}), liveText),
      state.base ? h('span', {class: 'version', title: 'Published config version'}, `v${state.base.version}`) : null,
      h('span', {class: `role role-${state.role}`, id: 'role'}, state.role === 'admin' ? 'Admin' : 'Viewer · read-only'),
      h('button', {type: 'button', class: 'link-button', id: 'sign-out', dataset: {focusKey: 'sign-out'}, onclick: () => { stopLive(); signOut(); }}, 'Sign out')))));
}

let bannersKey = '';

function renderBanners() {
  const box = document.getElementById('banners');
  if (!state.token || !state.base) {
    bannersKey = '';
    mount(box);
    return;
  }
  const key = [state.base.versionIsDeployed, state.base.replicasKey, isStale(), hasDraft(), draftChanges().length, state.base.version,
    state.draft ? state.draft.baseVersion : '', state.role, state.published].join('|');
  if (key === bannersKey) return;
  bannersKey = key;
  const items = [];
  if (state.base.versionIsDeployed === false) {
    // Only while it is true, and saying what is pending: which replicas
    // do not serve the latest version yet.
    const lag = lagging();
    const v = state.base.version;
    const who = state.published === v ? 'Your publish' : `Version ${v}` + (state.base.meta && state.base.meta.author ? ` by ${state.base.meta.author}` : '');
    items.push(h('div', {class: 'banner warn', role: 'status', id: 'banner-in-progress'},
      `${who} is being deployed: `,
      lag.length ? `${lag.length} replica${lag.length === 1 ? '' : 's'} still serve${lag.length === 1 ? 's' : ''} an older version (` +
        lag.map((r) => `${r.id}: v${r.version}`).join(', ') + ').' : 'not every replica has confirmed it yet.',
      ' Callers may get either version until they catch up.'));
  }
  if (isStale() && isAdmin()) {
    items.push(h('div', {class: 'banner warn', id: 'banner-stale'},
      `Your draft started from version ${state.draft.baseVersion}; version ${state.base.version} has been published since. `,
      h('a', {href: '#/publish', dataset: {focusKey: 'banner-stale'}}, 'Review and re-apply your draft')));
  } else if (hasDraft() && isAdmin()) {
    const n = draftChanges().length;
    items.push(h('div', {class: 'banner info', id: 'banner-draft'},
      `Draft: ${n} unpublished change${n === 1 ? '' : 's'} (kept in this browser). `,
      h('a', {href: '#/publish', dataset: {focusKey: 'banner-draft'}}, 'Review and publish')));
  }
  keepFocus(box, () => mount(box, items));
}

// The last hash routed to, so that a page with unsaved changes can stay.
let routedHash = '';
let leaving = false;

function route() {
  if (current && current.destroy) current.destroy();
  current = null;
  routedHash = location.hash;
  const main = document.getElementById('main');
  renderHeader();
  renderBanners();
  if (!state.token) {
    current = signInView({onSignedIn: start});
    mount(main, current.el);
    return;
  }
  if (!state.base) {
    mount(main, h('p', {class: 'loading'}, 'Loading…'));
    return;
  }
  const r = parseHash();
  current = resolve(r);
  if (!current) {
    current = {el: h('section', {class: 'view'}, h('h1', {tabindex: '-1', class: 'page-title'}, 'Not found'),
      h('p', null, 'There is no such page. '), h('a', {href: '#/schedules'}, 'Go to the schedules'))};
  }
  mount(main, current.el);
  const title = current.el.querySelector('h1');
  document.title = (title ? title.textContent + ' · ' : '') + 'Schedule Manager';
  if (routedOnce && title) title.focus({preventScroll: true});
  routedOnce = true;
  window.scrollTo(0, 0);
}

// dirty: the mounted page has edits not saved to the draft.
const dirty = () => !!(current && current.isDirty && current.isDirty());

// onHashChange asks before leaving a page with unsaved edits: the address
// goes back while the question is open, and forward again on "Leave".
async function onHashChange() {
  if (!location.hash.startsWith('#/') || location.hash === routedHash) return;
  if (leaving || !dirty()) {
    leaving = false;
    route();
    return;
  }
  const target = location.hash;
  history.replaceState(null, '', routedHash);
  const ok = await confirmDialog({title: 'Leave without saving?',
    message: 'Your changes on this page are not saved to the draft yet. They are lost if you leave.',
    confirm: 'Leave and discard', cancel: 'Stay on this page', danger: true});
  if (!ok) return;
  leaving = true;
  location.hash = target;
}
let routedOnce = false;

async function start() {
  renderHeader();
  try {
    await loadAll();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    mount(document.getElementById('main'), h('section', {class: 'view'},
      h('h1', null, 'Cannot load the configuration'), h('p', {role: 'alert'}, e.message),
      h('button', {type: 'button', onclick: start}, 'Try again')));
    return;
  }
  startLive();
  route();
}

subscribe((topic, data) => {
  if (topic === 'notice' && data) {
    notify(`Version ${data.version} was published${data.author ? ' by ' + data.author : ''}${data.message ? `: “${data.message}”` : ''}.` +
      (data.staleNow ? ' Your draft must be re-applied on it before you publish.' : ''), 'info');
    return;
  }
  if (topic === 'auth') {
    if (!state.token) route();
    return;
  }
  renderHeader();
  renderBanners();
  if (current && current.update) current.update(topic);
});

onError((e) => {
  notify(e && e.message ? e.message : String(e), 'error');
});

onUnauthorized(() => {
  if (!state.token) return;
  stopLive();
  signOut();
  notify('Your token was not accepted any more. Please sign in again.', 'error');
});

window.addEventListener('hashchange', () => { onHashChange().catch((e) => notify(String(e), 'error')); });

// Closing or reloading the tab with unsaved edits asks too.
window.addEventListener('beforeunload', (e) => {
  if (dirty()) e.preventDefault();
});

function boot() {
  const skip = document.querySelector('.skip');
  skip.addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  // One datalist of time zones for every zone field.
  document.body.append(h('datalist', {id: 'tz-list'}, timeZones().map((z) => h('option', {value: z}))));
  if (restoreSession()) start();
  else route();
}

boot();
