import {h, mount} from '../dom.js';
import {api} from '../api.js';
import {describeChange, hunks, lineDiff, manualCloseChanges, prettyLines, renames} from '../diff.js';
import {CONFLICT_MESSAGE, discardDraft, draftChanges, editDoc, isAdmin, isStale, loadBase, previewReapply,
  publish, reapplyDraft, reportError, state} from '../state.js';
import {fmtLocal} from '../time.js';
import {previewList, removedCallers, warningList} from '../preview.js';
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
  // tabindex: a scrollable region must be reachable with the keyboard.
  return h('div', {class: 'diff mono', id, role: 'table', 'aria-label': 'Line differences', tabindex: '0'},
    lines.map((l) => l.op === '…'
      ? h('div', {class: 'dl dl-gap', role: 'row'}, h('span', {role: 'cell'}, `… ${l.skipped} unchanged line${l.skipped > 1 ? 's' : ''}`))
      : h('div', {class: `dl ${l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'ctx'}`, role: 'row'},
        h('span', {class: 'ln', role: 'cell'}, l.a || ''), h('span', {class: 'ln', role: 'cell'}, l.b || ''),
        h('span', {class: 'mark', role: 'cell', 'aria-label': l.op === '+' ? 'added' : l.op === '-' ? 'removed' : 'same'}, l.op),
        h('span', {class: 'code', role: 'cell'}, l.text))));
}

const show = (v) => (v === undefined ? '(none)' : JSON.stringify(v));

// conflictItem explains one field both sides changed.
function conflictItem(c) {
  const what = c.kind === 'rule' ? `Rule “${c.label}”` : c.kind === 'schedule' ? `Schedule “${c.label}”` : `“${c.label}”`;
  if (!c.field) {
    return h('li', null, `${what}: ${c.mine === undefined ? 'you deleted it' : 'you changed it'}, and it was ${c.theirs === undefined ? 'deleted' : 'changed'} meanwhile; your draft ${c.mine === undefined ? 'deletes it' : 'keeps your version'}.`);
  }
  if (c.field === 'manualClose') {
    return h('li', {class: 'manual-kept'}, `${what} · manualClose: it is ${c.theirs ? 'manually closed' : 'not manually closed'} now; the published value is kept (yours was ${show(c.mine)}).`);
  }
  return h('li', null, `${what} · ${c.field}: yours ${show(c.mine)} replaces ${show(c.theirs)}.`);
}

// previewBox renders what publishing the draft does: errors, shouted
// removed names that callers still ask for, warnings, differences.
function previewBox(p, changes) {
  if (!p) return h('p', {class: 'loading', id: 'preview-loading'}, 'Working out what publishing will change…');
  if (p.error) return h('p', {class: 'error', role: 'alert', id: 'preview-error'}, 'The preview failed: ', p.error);
  const parts = [];
  if (!p.valid) {
    parts.push(h('div', {class: 'banner error', role: 'alert', id: 'preview-errors'},
      h('p', null, h('strong', null, 'The draft has errors: publishing will be refused.')),
      h('ul', null, p.errors.map((e) => h('li', null, e.path ? h('code', null, e.path) : null, e.path ? ': ' : '', e.message)))));
  }
  const callers = removedCallers(p);
  const ren = renames(changes);
  if (callers.length) {
    parts.push(h('div', {class: 'banner error', role: 'alert', id: 'removed-callers'},
      h('p', null, h('strong', null, 'Callers still ask for a name this draft removes.')),
      h('ul', null, callers.map((s) => {
        const r = ren.find((x) => x.from === s.name);
        return h('li', null, `“${s.name}”${r ? ` (renamed to “${r.to}”)` : ''} had ${s.recentRequests} check-schedule request${s.recentRequests === 1 ? '' : 's'} in the last 24 hours. After publishing they get 404 and fail open: every Studio flow still using “${s.name}” will treat it as open.`);
      })),
      h('p', null, 'Update the callers first, or keep the old name.')));
  }
  const otherWarnings = (p.warnings || []).filter((w) => !callers.some((s) => w.message.includes(`"${s.name}"`)));
  if (otherWarnings.length) {
    parts.push(h('div', {class: 'banner warn', id: 'preview-warnings'},
      h('p', null, h('strong', null, `${otherWarnings.length} warning${otherWarnings.length === 1 ? '' : 's'}`), ' (they do not block publishing):'),
      warningList(otherWarnings)));
  }
  if (p.valid) {
    parts.push(h('h3', null, `What callers will get differently (next ${Math.round((Date.parse(p.to) - Date.parse(p.from)) / 86400000)} days)`),
      previewList(p, {renamed: ren}));
  }
  return h('div', {id: 'preview'}, parts);
}

export function publishView() {
  const admin = isAdmin();
  const body = h('div');
  const el = h('section', {class: 'view'}, pageHeader('Publish'), body);
  let message = '';
  let busy = false;
  let preview = null; // the answer for previewKey
  let previewKey = '';
  let confirmedManual = false;

  function resultBox() {
    const p = state.publish;
    if (!p) return null;
    if (p.kind === 'ok') {
      return h('div', {class: 'banner ok', role: 'status', id: 'publish-result'}, p.message,
        p.warnings && p.warnings.length ? [h('p', null, 'Warnings of the published version:'), warningList(p.warnings, 'published-warnings')] : null);
    }
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
    const manual = manualCloseChanges(state.base.data, state.draft.doc);
    if (manual.length && !confirmedManual) {
      const box = el.querySelector('#manual-confirm');
      if (box) box.focus();
      notify('Confirm the manual-close change first (the box above the Publish button).', 'error');
      return;
    }
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
      confirmedManual = false;
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
        (state.base.meta && state.base.meta.author ? ` (latest by ${state.base.meta.author}${state.base.meta.message ? `: “${state.base.meta.message}”` : ''})` : '') +
        '. Publishing needs your draft on the latest version: re-applying merges it field by field — what you changed is kept, what others changed is kept.'),
      h('div', {class: 'cols'},
        h('div', {class: 'col'}, h('h3', null, 'Your changes (re-applied)'), changeList(r.applied, 'mine-list', 'None.')),
        h('div', {class: 'col'}, h('h3', null, 'Changed by others since'), changeList(r.theirs, 'theirs-list', 'Nothing.'))),
      r.conflicts.length ? h('div', {class: 'banner warn', id: 'conflict-list'},
        h('p', null, 'Changed on both sides:'),
        h('ul', null, r.conflicts.map(conflictItem))) : null,
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

  // importFile makes a config file (a Twilio export, an example) the
  // draft; the preview then shows its warnings and errors.
  async function importFile(input) {
    const f = input.files && input.files[0];
    if (!f) return;
    let data;
    try {
      data = JSON.parse(await f.text());
    } catch (e) {
      notify(`${f.name} is not JSON: ${e.message}`, 'error');
      return;
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      notify(`${f.name} is not a config document ({"rules": [...], "schedules": [...]}).`, 'error');
      return;
    }
    const ok = await confirmDialog({title: `Use ${f.name} as your draft?`,
      message: 'The file replaces everything in your draft. Nothing is published until you review it here and publish.', confirm: 'Use it'});
    input.value = '';
    if (!ok) return;
    editDoc((d) => {
      for (const k of Object.keys(d)) delete d[k];
      Object.assign(d, data);
      if (!Array.isArray(d.rules)) d.rules = [];
      if (!Array.isArray(d.schedules)) d.schedules = [];
    });
    notify(`${f.name} is your draft now. Check the warnings below before publishing.`);
  }

  function importForm() {
    if (!admin) return null;
    const input = h('input', {type: 'file', id: 'import-file', accept: '.json,application/json', onchange: () => importFile(input).catch(reportError)});
    return h('details', {class: 'import'}, h('summary', null, 'Import a config file'),
      h('div', {class: 'field'}, h('label', {for: 'import-file'}, 'Config file (JSON, Twilio format)'), input,
        h('p', {class: 'hint'}, 'It becomes your draft: nothing is published until you publish it.')));
  }

  // The preview is asked for each new draft (or new published version).
  function wantPreview(data) {
    const key = JSON.stringify([state.base.version, data]);
    if (key === previewKey) return;
    previewKey = key;
    preview = null;
    api.preview(data).then((p) => {
      if (key !== previewKey) return;
      preview = p;
      keepFocus(el, render);
    }, (e) => {
      if (key !== previewKey) return;
      preview = {error: e.message};
      keepFocus(el, render);
    });
  }

  function render() {
    const parts = [];
    parts.push(resultBox());
    const meta = state.base.meta || {};
    parts.push(h('p', {class: 'lead', id: 'published-version'}, `Published: version ${state.base.version}`,
      meta.author ? ` by ${meta.author}` : '', meta.time ? `, ${fmtLocal(meta.time)}` : '', meta.message ? ` — “${meta.message}”` : '', '.'));
    if (!state.draft) {
      parts.push(emptyState('No unpublished changes. Edit schedules or rules: your edits stay a draft in this browser until you publish them here.'));
      // Checks of what is published: lint warnings are shown, never silent.
      wantPreview(state.base.data);
      if (preview && !preview.error && preview.warnings && preview.warnings.length) {
        parts.push(h('section', {class: 'card', id: 'published-checks'},
          h('h2', null, `Checks of version ${state.base.version}: ${preview.warnings.length} warning${preview.warnings.length === 1 ? '' : 's'}`),
          warningList(preview.warnings)));
      }
      parts.push(importForm());
      mount(body, parts);
      return;
    }
    const stale = isStale();
    if (stale) parts.push(staleSection());
    const changes = draftChanges();
    const input = h('input', {type: 'text', id: 'publish-message', maxlength: '1000', value: message, placeholder: 'e.g. Christmas hours',
      autocomplete: 'off', dataset: {focusKey: 'publish-message'}, oninput: (e) => { message = e.target.value; }});
    const btn = h('button', {type: 'submit', class: 'primary', id: 'publish-btn'}, `Publish ${changes.length} change${changes.length === 1 ? '' : 's'}`);
    const conflict = state.publish && state.publish.kind === 'conflict';
    let form = null;
    if (!admin) form = h('p', {class: 'muted'}, 'Viewer tokens cannot publish.');
    else if (stale || conflict) {
      // The old button would only get the same 409 again.
      form = h('p', {class: 'muted', id: 'publish-blocked'}, conflict ? 'Reload, then re-apply your draft, to publish.' : 'Re-apply your draft on the latest version (above) to publish it.');
    } else {
      const manual = manualCloseChanges(state.base.data, state.draft.doc);
      const manualBox = manual.length ? h('div', {class: 'banner warn', id: 'manual-change'},
        h('p', null, h('strong', null, 'This draft changes a manual close:')),
        h('ul', null, manual.map((m) => h('li', null, m.to ? `It closes “${m.name}” manually (it is not manually closed now).`
          : `It reopens “${m.name}”, which is manually closed now.`))),
        h('div', {class: 'field check'},
          h('input', {type: 'checkbox', id: 'manual-confirm', checked: confirmedManual, onchange: (e) => { confirmedManual = e.target.checked; }}),
          h('label', {for: 'manual-confirm'}, 'Yes, publish this manual-close change'))) : null;
      form = h('form', {class: 'publish-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); doPublish(btn, input); }},
        manualBox,
        h('div', {class: 'field'}, h('label', {for: 'publish-message'}, 'What changed (optional)'), input,
          h('p', {class: 'hint'}, 'Saved in the history with your token’s name.')),
        h('div', {class: 'actions'}, btn,
          h('button', {type: 'button', class: 'danger', id: 'discard-btn', onclick: () => discard().catch(reportError)}, 'Discard draft')));
    }
    if (!stale) wantPreview(state.draft.doc);
    parts.push(h('section', {class: 'card'},
      h('h2', null, `Your draft (from version ${state.draft.baseVersion})`),
      changeList(changes, 'change-list', 'No changes.'),
      h('details', null, h('summary', null, 'Line differences'), diffBlock(state.draft.baseDoc, state.draft.doc, 'draft-diff')),
      stale ? null : previewBox(preview, changes),
      form));
    parts.push(importForm());
    mount(body, parts);
  }

  const redraw = onChange(() => JSON.stringify([state.base.version, state.draft, state.publish, state.serverErrors]),
    () => keepFocus(el, render));
  redraw();
  return {el, update(topic) { if (topic !== 'statuses' && topic !== 'live' && !busy) redraw(); }};
}
