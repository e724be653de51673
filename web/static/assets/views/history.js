import {h, mount} from '../dom.js';
import {api} from '../api.js';
import {describeChange, docChanges, manualCloseChanges, renames} from '../diff.js';
import {isAdmin, loadBase, reportError, state} from '../state.js';
import {fmtLocal} from '../time.js';
import {confirmDialog, notify, pageHeader} from '../ui.js';
import {previewList, removedCallers, warningList} from '../preview.js';
import {diffBlock} from './publish.js';

export function historyView(route) {
  const admin = isAdmin();
  const body = h('div', {id: 'history-body'}, h('p', {class: 'loading'}, 'Loading…'));
  const compareBox = h('div', {id: 'compare', 'aria-live': 'polite'});
  const el = h('section', {class: 'view'},
    pageHeader('History'),
    h('p', {class: 'lead'}, 'Every published version, who published it and why. Compare any two, or roll back to an older one (a rollback publishes the old content as a new version).'),
    body, compareBox);
  let versions = [];
  let a = Number(route.query.get('a')) || 0;
  let b = Number(route.query.get('b')) || 0;
  const cache = new Map();
  const getVersion = (v) => {
    if (!cache.has(v)) cache.set(v, api.version(v).then((r) => r.data).catch((e) => { cache.delete(v); throw e; }));
    return cache.get(v);
  };

  async function compare() {
    if (!a || !b) return;
    const [lo, hi] = a < b ? [a, b] : [b, a];
    mount(compareBox, h('p', {class: 'loading'}, 'Loading…'));
    try {
      const [da, db] = await Promise.all([getVersion(lo), getVersion(hi)]);
      const changes = docChanges(da, db);
      mount(compareBox, h('section', {class: 'card', id: 'compare-result'},
        h('h2', null, `Version ${lo} → version ${hi}`),
        changes.length ? h('ul', {class: 'changes', id: 'compare-changes'}, changes.map((c) => h('li', {class: `chg chg-${c.op}`},
          h('span', {class: 'op', 'aria-hidden': 'true'}, c.op === 'added' ? '+' : c.op === 'removed' ? '−' : '~'), ' ', describeChange(c))))
          : h('p', {class: 'muted'}, 'No differences in rules or schedules.'),
        h('h3', null, 'Line differences'),
        diffBlock(da, db, 'compare-diff')));
      history.replaceState(null, '', `#/history?a=${lo}&b=${hi}`);
    } catch (e) {
      mount(compareBox, h('p', {class: 'error', role: 'alert'}, e.message));
    }
  }

  // rollback previews like a publish: what callers will get differently,
  // removed names still asked for, manual closes it would undo.
  async function rollback(v) {
    let data, p;
    try {
      data = await getVersion(v);
      p = await api.preview(data);
    } catch (e) {
      notify(e.message, 'error');
      return;
    }
    const changes = docChanges(state.base.data, data);
    const manual = manualCloseChanges(state.base.data, data);
    const callers = removedCallers(p);
    const body = h('div', {id: 'rollback-preview'},
      h('h3', null, `Version ${state.base.version} → content of version ${v}`),
      changes.length ? h('ul', {class: 'changes'}, changes.map((c) => h('li', {class: `chg chg-${c.op}`},
        h('span', {class: 'op', 'aria-hidden': 'true'}, c.op === 'added' ? '+' : c.op === 'removed' ? '−' : '~'), ' ', describeChange(c))))
        : h('p', {class: 'muted'}, 'No differences in rules or schedules.'),
      manual.length ? h('div', {class: 'banner warn', id: 'rollback-manual'}, h('p', null, h('strong', null, 'This changes a manual close:')),
        h('ul', null, manual.map((m) => h('li', null, m.to ? `closes “${m.name}” manually` : `reopens “${m.name}”, which is manually closed now`)))) : null,
      callers.length ? h('div', {class: 'banner error', role: 'alert', id: 'rollback-callers'}, callers.map((s) =>
        h('p', null, `“${s.name}” is removed, but had ${s.recentRequests} request${s.recentRequests === 1 ? '' : 's'} in the last 24 hours: its callers would get 404 and fail open.`))) : null,
      p.warnings && p.warnings.length ? h('details', null, h('summary', null, `${p.warnings.length} warning${p.warnings.length === 1 ? '' : 's'}`), warningList(p.warnings, 'rollback-warnings')) : null,
      h('h3', null, 'What callers will get differently'),
      previewList(p, {id: 'rollback-differences', renamed: renames(changes)}));
    const ok = await confirmDialog({title: `Roll back to version ${v}?`,
      message: `The content of version ${v} is published as a new version at once. Nothing in between is lost: it stays in the history.`,
      body, confirm: 'Roll back', danger: true, wide: true});
    if (!ok) return;
    try {
      const r = await api.rollback(v);
      state.published = r.version;
      notify(`Rolled back: version ${r.version} has the content of version ${r.rollbackOf}.`);
      await loadBase();
      await load();
    } catch (e) {
      notify(e.message, 'error');
    }
  }

  function render() {
    if (!versions.length) {
      mount(body, h('p', {class: 'muted'}, 'No versions yet.'));
      return;
    }
    const rows = versions.map((v) => {
      const ra = h('input', {type: 'radio', name: 'cmp-a', value: String(v.version), checked: v.version === a, id: `cmp-a-${v.version}`,
        onchange: () => { a = v.version; }});
      const rb = h('input', {type: 'radio', name: 'cmp-b', value: String(v.version), checked: v.version === b, id: `cmp-b-${v.version}`,
        onchange: () => { b = v.version; }});
      const current = state.base && v.version === state.base.version;
      return h('tr', {dataset: {version: v.version}, class: current ? 'current' : null},
        h('th', {scope: 'row', 'data-label': 'Version'}, `v${v.version}`, current ? h('span', {class: 'tag ok'}, 'live') : null),
        h('td', {'data-label': 'When'}, fmtLocal(v.time)),
        h('td', {'data-label': 'Who'}, v.author || '—'),
        h('td', {'data-label': 'Message', class: 'msg'}, v.message || '', v.rollbackOf ? h('span', {class: 'tag'}, `rollback of v${v.rollbackOf}`) : null),
        h('td', {'data-label': 'Compare', class: 'cmp'},
          h('label', {for: ra.id, class: 'choice'}, ra, h('span', null, 'A')),
          h('label', {for: rb.id, class: 'choice'}, rb, h('span', null, 'B'))),
        h('td', {class: 'row-actions'},
          admin && !current ? h('button', {type: 'button', class: 'link-button', id: `rollback-${v.version}`,
            'aria-label': `Roll back to version ${v.version}`, onclick: () => rollback(v.version).catch(reportError)}, 'Roll back') : null));
    });
    mount(body,
      h('table', {class: 'grid history', id: 'history-table'},
        h('caption', {class: 'sr-only'}, 'Published versions, newest first'),
        h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Version'), h('th', {scope: 'col'}, 'When'), h('th', {scope: 'col'}, 'Who'),
          h('th', {scope: 'col'}, 'Message'), h('th', {scope: 'col'}, 'Compare'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
        h('tbody', null, rows)),
      h('div', {class: 'actions'}, h('button', {type: 'button', class: 'primary', id: 'compare-btn', onclick: compare}, 'Compare A and B')));
  }

  async function load() {
    try {
      const r = await api.history(100);
      versions = (r.versions || []).slice().sort((x, y) => y.version - x.version);
      if (!b && versions.length) b = versions[0].version;
      if (!a && versions.length > 1) a = versions[1].version;
      if (!a && versions.length) a = versions[0].version;
      render();
      if (route.query.get('a')) compare();
    } catch (e) {
      mount(body, h('p', {class: 'error', role: 'alert'}, e.message));
    }
  }
  load();
  return {el};
}
