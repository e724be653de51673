import {h, mount} from '../dom.js';
import {describeChange, hunks, lineDiff, prettyLines} from '../diff.js';
import {CONFLICT_MESSAGE, discardDraft, draftChanges, isAdmin, isStale, loadBase, previewReapply,
  publish, reapplyDraft, reportError, state} from '../state.js';
import {fmtLocal} from '../time.js';
import {confirmDialog, emptyState, keepFocus, link, notify, onChange, pageHeader} from '../ui.js';

function changeList(changes, id, emptyText) {
  if (!changes.length) return h('p', {class: 'muted', id}, emptyText);
  return h('ul', {class: 'changes', id}, changes.map((c) => h('li', {class: `chg chg-${c.op}`, dataset: {kind: c.kind, key: c.key}},
    h('span', {class: 'op', 'aria-hidden': 'true'}, c.op === 'added' ? '+' : c.op === 'removed' ? '−' : '~'),
    ' ', c.kind === 'rule' && c.op !== 'removed' ? h('a', {href: link('rules', 'edit', c.key)}, describeChange(c))
      : c.kind === 'schedule' && c.op !== 'removed' ? h('a', {href: link('schedules', 'edit', c.key)}, describeChange(c))
        : describeChange(c))));
}

export function diffBlock(a, b, id) {
  const lines = hunks(lineDiff(prettyLines(a), prettyLines(b)));
  const changed = lines.some((l) => l.op === '+' || l.op === '-');
  if (!changed) return h('p', {class: 'muted', id}, 'The documents are identical.');
  return h('div', {class: 'diff mono', id, role: 'table', 'aria-label': 'Line differences'},
    lines.map((l) => l.op === '…'
      ? h('div', {class: 'dl dl-gap', role: 'row'}, h('span', {role: 'cell'}, `… ${l.skipped} unchanged line${l.skipped > 1 ? 's' : ''}`))
      : h('div', {class: `dl ${l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'ctx'}`, role: 'row'},
        h('span', {class: 'ln', role: 'cell'}, l.a || ''), h('span', {class: 'ln', role: 'cell'}, l.b || ''),
        h('span', {class: 'mark', role: 'cell', 'aria-label': l.op === '+' ? 'added' : l.op === '-' ? 'removed' : 'same'}, l.op),
        h('span', {class: 'code', role: 'cell'}, l.text))));
}

export function publishView() {
  const admin = isAdmin();
  const body = h('div');
  const el = h('section', {class: 'view'}, pageHeader('Publish'), body);
  let message = '';
  let busy = false;

  function resultBox() {
    const p = state.publish;
    if (!p) return null;
    if (p.kind === 'ok') return h('div', {class: 'banner ok', role: 'status', id: 'publish-result'}, p.message);
    if (p.kind === 'conflict') {
      return h('div', {class: 'banner error', role: 'alert', id: 'publish-result'},
        h('p', {id: 'conflict-message'}, CONFLICT_MESSAGE),
        h('p', null, 'Your draft is kept. Reload to see the latest version, then re-apply your changes on top of it.'),
        h('button', {type: 'button', id: 'reload-btn', class: 'primary', onclick: reload}, 'Reload'));
    }
    if (p.kind === 'invalid') {
      return h('div', {class: 'banner error', role: 'alert', id: 'publish-result'},
        h('p', null, 'The server refused the draft: ', p.message),
        h('ul', {class: 'server-errors', id: 'server-errors'}, state.serverErrors.map((e) => h('li', null,
          e.kind === 'rule' && e.key ? h('a', {href: link('rules', 'edit', e.key)}, `Rule “${e.label}”`)
            : e.kind === 'schedule' && e.key ? h('a', {href: link('schedules', 'edit', e.key)}, `Schedule “${e.label}”`) : e.path,
          e.field ? ` · ${e.field}` : '', `: ${e.message}`))));
    }
    return h('div', {class: 'banner error', role: 'alert', id: 'publish-result'}, p.message);
  }

  async function reload() {
    try {
      state.publish = null;
      await loadBase();
      redraw(true);
      notify(`Loaded version ${state.base.version}.`);
    } catch (e) {
      reportError(e);
    }
  }

  async function doPublish(btn, input) {
    if (busy) return;
    busy = true;
    btn.disabled = true;
    btn.textContent = 'Publishing…';
    message = input.value;
    try {
      const r = await publish(input.value.trim());
      if (r && r.kind === 'ok') message = '';
    } catch (e) {
      reportError(e);
    } finally {
      busy = false;
      redraw(true);
      const res = el.querySelector('#publish-result');
      if (res) {
        res.tabIndex = -1;
        res.focus();
      }
    }
  }

  function staleSection() {
    const r = previewReapply();
    return h('section', {class: 'card stale', id: 'stale-panel'},
      h('h2', null, 'Re-apply your draft on version ' + state.base.version),
      h('p', null, `Your draft started from version ${state.draft.baseVersion}. Version ${state.base.version} has been published since` +
        (state.base.meta && state.base.meta.author ? ` (latest by ${state.base.meta.author}${state.base.meta.message ? `: “${state.base.meta.message}”` : ''})` : '') + '.'),
      h('div', {class: 'cols'},
        h('div', {class: 'col'}, h('h3', null, 'Your changes (re-applied)'), changeList(r.applied, 'mine-list', 'None.')),
        h('div', {class: 'col'}, h('h3', null, 'Changed by others since'), changeList(r.theirs, 'theirs-list', 'Nothing that your draft touches.'))),
      r.conflicts.length ? h('div', {class: 'banner warn', id: 'conflict-list'},
        h('p', null, 'Changed on both sides — your version will replace theirs:'),
        h('ul', null, r.conflicts.map((c) => h('li', null, `${describeChange(c.mine)} · theirs: ${describeChange(c.theirs)}`)))) : null,
      h('details', null, h('summary', null, 'Line differences: version ' + state.base.version + ' → your re-applied draft'), diffBlock(state.base.data, r.doc, 'stale-diff')),
      admin ? h('div', {class: 'actions'},
        h('button', {type: 'button', class: 'primary', id: 'reapply-btn', onclick: () => {
          const res = reapplyDraft();
          notify(res ? `Your draft now starts from version ${state.base.version}. Review and publish.` : 'Draft re-applied.');
        }}, 'Re-apply my draft'),
        h('button', {type: 'button', class: 'danger', id: 'discard-stale-btn', onclick: () => discard().catch(reportError)}, 'Discard my draft')) : null);
  }

  async function discard() {
    const ok = await confirmDialog({title: 'Discard your draft?', message: 'All unpublished changes in this browser are lost.', confirm: 'Discard', danger: true});
    if (!ok) return;
    discardDraft();
    notify('Draft discarded.');
  }

  function render() {
    const parts = [];
    parts.push(resultBox());
    const meta = state.base.meta || {};
    parts.push(h('p', {class: 'lead', id: 'published-version'}, `Published: version ${state.base.version}`,
      meta.author ? ` by ${meta.author}` : '', meta.time ? `, ${fmtLocal(meta.time)}` : '', meta.message ? ` — “${meta.message}”` : '', '.'));
    if (!state.draft) {
      parts.push(emptyState('No unpublished changes. Edit schedules or rules: your edits stay a draft in this browser until you publish them here.'));
      mount(body, parts);
      return;
    }
    if (isStale()) parts.push(staleSection());
    const changes = draftChanges();
    const input = h('input', {type: 'text', id: 'publish-message', maxlength: '1000', value: message, placeholder: 'e.g. Christmas hours',
      autocomplete: 'off', dataset: {focusKey: 'publish-message'}, oninput: (e) => { message = e.target.value; }});
    const btn = h('button', {type: 'submit', class: 'primary', id: 'publish-btn'}, `Publish ${changes.length} change${changes.length === 1 ? '' : 's'}`);
    parts.push(h('section', {class: 'card'},
      h('h2', null, `Your draft (from version ${state.draft.baseVersion})`),
      changeList(changes, 'change-list', 'No changes.'),
      h('details', null, h('summary', null, 'Line differences'), diffBlock(state.draft.baseDoc, state.draft.doc, 'draft-diff')),
      admin ? h('form', {class: 'publish-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); doPublish(btn, input); }},
        h('div', {class: 'field'}, h('label', {for: 'publish-message'}, 'What changed (optional)'), input,
          h('p', {class: 'hint'}, 'Saved in the history with your token’s name.')),
        h('div', {class: 'actions'}, btn,
          h('button', {type: 'button', class: 'danger', id: 'discard-btn', onclick: () => discard().catch(reportError)}, 'Discard draft')))
        : h('p', {class: 'muted'}, 'Viewer tokens cannot publish.')));
    mount(body, parts);
  }

  const redraw = onChange(() => JSON.stringify([state.base.version, state.base.versionIsDeployed, state.draft, state.publish, state.serverErrors]),
    () => keepFocus(el, render));
  redraw();
  return {el, update(topic) { if (topic !== 'statuses' && topic !== 'live' && !busy) redraw(); }};
}
