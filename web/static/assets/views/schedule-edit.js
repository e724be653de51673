import {field, h, mount, option, setFieldError} from '../dom.js';
import {api, download} from '../api.js';
import {equal} from '../diff.js';
import {describeRule} from '../rules.js';
import {clearErrorsFor, doc, editDoc, errorsFor, isAdmin, loadStatus, reportError, state, statusOf} from '../state.js';
import {canonicalZone, fmtLocal} from '../time.js';
import {confirmDialog, effectBadge, keepFocus, link, nextChange, notify, onChange, pageHeader, statusBadge} from '../ui.js';

function nameProblem(name, others) {
  if (!name) return 'A name is required';
  if (name !== name.trim()) return 'No spaces at the start or end';
  if (name.length > 200) return 'At most 200 characters';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'No control characters';
  if (others.includes(name)) return `Another schedule is already called “${name}”`;
  return '';
}

// STASH_KEY keeps a half-filled schedule form while its user creates a
// rule for it, so the editor comes back as it was.
const STASH_KEY = 'schedule-manager.schedule-form';

export function scheduleEditor(route, {mode, name}) {
  const admin = isAdmin();
  const here = location.hash.split('?')[0];
  const d = doc();
  const original = mode === 'new' ? null : d.schedules.find((s) => s.name === name);
  if (mode !== 'new' && !original) {
    return {el: h('section', {class: 'view'}, pageHeader('Schedule not found'),
      h('p', null, `There is no schedule called “${name}”. `), h('a', {href: '#/schedules'}, 'Back to the schedules'))};
  }
  const editingName = mode === 'edit' ? original.name : null;
  let draftName = original ? original.name : '';
  if (mode === 'copy') {
    const names = new Set(d.schedules.map((s) => s.name));
    draftName = `${original.name} (copy)`;
    for (let i = 2; names.has(draftName); i++) draftName = `${original.name} (copy ${i})`;
  }
  let ruleIds = original ? [...(original.rules || [])] : [];
  let stash = null;
  try {
    const st = JSON.parse(sessionStorage.getItem(STASH_KEY) || 'null');
    if (st && st.route === here && route.query.has('restore')) stash = st;
  } catch { /* a broken stash is dropped */ }
  sessionStorage.removeItem(STASH_KEY);
  if (stash) {
    draftName = stash.name;
    ruleIds = stash.rules;
    const added = route.query.get('newRule');
    if (added && !ruleIds.includes(added) && doc().rules.some((r) => r.id === added)) ruleIds.push(added);
  }
  const title = mode === 'new' ? 'New schedule' : mode === 'copy' ? `Copy of “${original.name}”` : (admin ? `Edit “${original.name}”` : original.name);

  const nameIn = h('input', {type: 'text', id: 'sched-name', value: draftName, maxlength: '200', autocomplete: 'off', required: true});
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const tzIn = h('input', {type: 'text', id: 'sched-tz', list: 'tz-list', value: original ? original.timeZone : browserZone,
    autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. America/Chicago'});
  if (stash) tzIn.value = stash.timeZone;
  const manualIn = h('input', {type: 'checkbox', id: 'sched-manual', checked: stash ? stash.manualClose : !!(original && original.manualClose)});
  // The form as loaded: what "unsaved changes" compares with.
  const initial = JSON.stringify(original ? [original.name, original.timeZone, !!original.manualClose, original.rules || []]
    : mode === 'copy' ? null : ['', tzIn.value, false, []]);
  let saved = false;
  const formState = () => JSON.stringify([nameIn.value, tzIn.value.trim(), manualIn.checked, ruleIds]);
  const isDirty = () => admin && !saved && (formState() !== initial || !!stash || mode === 'copy');
  const list = h('ol', {class: 'rule-list', id: 'sched-rules', 'aria-describedby': 'sched-rules-help sched-rules-error'});
  const addSel = h('select', {id: 'sched-add-rule'});
  const addBtn = h('button', {type: 'button', id: 'sched-add-btn'}, 'Add rule');
  const rulesErr = h('p', {class: 'field-error', id: 'sched-rules-error', hidden: true});
  const formError = h('div', {class: 'form-error', id: 'sched-form-error', role: 'alert', hidden: true});
  const nowBox = h('div', {class: 'now-box', id: 'sched-now'});

  function ruleById(id) {
    return doc().rules.find((r) => r.id === id);
  }

  // The deciding rule now, from the published status.
  function deciding() {
    const live = editingName ? statusOf(editingName) : null;
    return live ? live.status : null;
  }

  function renderNow() {
    const st = deciding();
    if (!st) {
      mount(nowBox, h('p', {class: 'muted'}, 'Not published yet: the status appears after you publish.'));
      return;
    }
    const changed = original && state.base && !equal(original, (state.base.data.schedules || []).find((s) => s.name === editingName));
    let why;
    if (st.closedReason === 'manual') why = 'manually closed';
    else if (st.rule) why = ['decided by ', h('strong', null, st.rule.name || st.rule.id)];
    else why = 'no rule matches';
    mount(nowBox, h('p', null, h('span', {class: 'label'}, 'Now: '), statusBadge(st), ' — ', why,
      st.holiday ? ` (${st.holiday})` : '', '; ', nextChange(st), '.',
      changed ? h('span', {class: 'muted'}, ' (published version; your draft changes this schedule)') : null));
  }

  function renderList() {
    const decidingId = (deciding() || {}).rule ? deciding().rule.id : null;
    const serverErrs = editingName ? errorsFor('schedule', editingName).filter((e) => e.field === 'rules') : [];
    keepFocus(list, () => {
      mount(list, ruleIds.length ? ruleIds.map((id, i) => {
        const r = ruleById(id);
        const label = r ? (r.name || r.id) : id;
        const err = serverErrs.find((e) => e.sub === i);
        const move = (delta) => () => {
          const j = i + delta;
          [ruleIds[i], ruleIds[j]] = [ruleIds[j], ruleIds[i]];
          renderList();
          const again = list.querySelector(`[data-focus-key="${delta < 0 ? 'up' : 'down'}:${CSS.escape(id)}"]`);
          if (again && !again.disabled) again.focus();
          else list.querySelector(`[data-focus-key="${delta < 0 ? 'down' : 'up'}:${CSS.escape(id)}"]`)?.focus();
        };
        return h('li', {dataset: {id}, class: [decidingId === id ? 'deciding' : '', r ? '' : 'missing', r && !r.isOpen ? 'closed-rule' : 'open-rule'].join(' ')},
          h('span', {class: 'pos', 'aria-hidden': 'true'}, String(i + 1)),
          h('div', {class: 'rule-info'},
            r ? h('a', {href: link('rules', 'edit', id), class: 'name'}, label) : h('span', {class: 'name'}, label),
            ' ', r ? effectBadge(r) : h('span', {class: 'tag error'}, 'missing rule'),
            decidingId === id ? h('span', {class: 'tag deciding-tag'}, '◀ decides now') : null,
            h('div', {class: 'desc'}, r ? describeRule(r) : `No rule with id “${id}”`),
            err ? h('p', {class: 'field-error'}, err.message) : null),
          admin ? h('div', {class: 'move'},
            h('button', {type: 'button', class: 'icon', disabled: i === 0, 'aria-label': `Move “${label}” up`, title: 'Move up',
              dataset: {focusKey: 'up:' + id}, onclick: move(-1)}, '↑'),
            h('button', {type: 'button', class: 'icon', disabled: i === ruleIds.length - 1, 'aria-label': `Move “${label}” down`, title: 'Move down',
              dataset: {focusKey: 'down:' + id}, onclick: move(1)}, '↓'),
            h('button', {type: 'button', class: 'icon danger', 'aria-label': `Remove “${label}” from this schedule`, title: 'Remove',
              dataset: {focusKey: 'rm:' + id}, onclick: () => { ruleIds.splice(i, 1); renderList(); addSel.focus(); }}, '✕')) : null);
      }) : h('li', {class: 'empty-list'}, 'No rules: the schedule is always closed. Add a rule below.'));
    });
    const available = doc().rules.filter((r) => !ruleIds.includes(r.id));
    mount(addSel, available.length
      ? [option('', 'Choose a rule…'), available.map((r) => option(r.id, `${r.name || r.id} — ${describeRule(r)} (${r.isOpen ? 'open' : 'closed: ' + r.closedReason})`))]
      : option('', 'Every rule is in the list'));
    addSel.disabled = !admin || !available.length;
    addBtn.disabled = !admin || !available.length;
  }

  addBtn.addEventListener('click', () => {
    if (!addSel.value) {
      addSel.focus();
      return;
    }
    ruleIds.push(addSel.value);
    renderList();
    addSel.focus();
  });

  function showServerErrors() {
    if (!editingName) return;
    const errs = errorsFor('schedule', editingName);
    const by = (f) => errs.filter((e) => e.field === f).map((e) => e.message).join('; ');
    setFieldError(form, 'sched-name', by('name'));
    setFieldError(form, 'sched-tz', by('timeZone'));
    const other = errs.filter((e) => !['name', 'timeZone', 'rules'].includes(e.field));
    formError.hidden = !other.length;
    mount(formError, other.map((e) => h('p', null, `${e.path}: ${e.message}`)));
  }

  function save(asCopy) {
    const others = doc().schedules.filter((s) => asCopy || s.name !== editingName).map((s) => s.name);
    let newName = nameIn.value;
    if (asCopy && others.includes(newName)) {
      let n = `${newName} (copy)`;
      for (let i = 2; others.includes(n); i++) n = `${newName} (copy ${i})`;
      newName = n;
    }
    const typed = tzIn.value.trim();
    const tz = canonicalZone(typed) || (original && typed === original.timeZone ? typed : '');
    if (tz && tz !== typed) tzIn.value = tz;
    const nErr = nameProblem(newName, others);
    const tzErr = !typed ? 'A time zone is required' : tz ? '' : `“${typed}” is not a time zone (IANA name, e.g. Europe/London; the case matters)`;
    const missing = ruleIds.filter((id) => !ruleById(id));
    setFieldError(form, 'sched-name', nErr);
    setFieldError(form, 'sched-tz', tzErr);
    rulesErr.hidden = !missing.length;
    rulesErr.textContent = missing.length ? `Remove the missing rule${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}` : '';
    if (nErr || tzErr || missing.length) {
      (nErr ? nameIn : tzErr ? tzIn : addSel).focus();
      return;
    }
    const sched = {...(original || {}), name: newName, manualClose: manualIn.checked, timeZone: tz, rules: [...ruleIds]};
    editDoc((x) => {
      const i = editingName && !asCopy ? x.schedules.findIndex((s) => s.name === editingName) : -1;
      if (i >= 0) x.schedules[i] = sched;
      else x.schedules.push(sched);
    });
    if (editingName && !asCopy) clearErrorsFor('schedule', editingName);
    notify(asCopy ? `Saved a copy “${newName}” to the draft.` : `Saved “${newName}” to the draft. Publish to apply.`);
    saved = true;
    location.hash = '#/schedules';
  }

  async function remove() {
    const ok = await confirmDialog({title: `Delete “${editingName}”?`, message: 'The schedule is removed from your draft. It stays live until you publish.', confirm: 'Delete', danger: true});
    if (!ok) return;
    editDoc((x) => { x.schedules = x.schedules.filter((s) => s.name !== editingName); });
    notify(`Deleted “${editingName}” in the draft. Publish to apply.`);
    saved = true;
    location.hash = '#/schedules';
  }

  const form = h('form', {id: 'sched-form', class: 'editor', novalidate: true, onsubmit: (e) => { e.preventDefault(); if (admin) save(false); }},
    formError,
    h('div', {class: 'cols'},
      h('div', {class: 'col narrow-col'},
        field({id: 'sched-name', label: 'Name', control: nameIn, hint: 'Callers ask for this name (check-schedule?name=…).'}),
        field({id: 'sched-tz', label: 'Time zone', control: tzIn, hint: 'Type to search: e.g. “Chicago”, “London”, “UTC”.'}),
        h('div', {class: 'field check'}, manualIn, h('label', {for: 'sched-manual'}, 'Manually closed'),
          h('p', {class: 'hint', id: 'sched-manual-hint'}, 'Applies when you publish. To close at once, use the switch in the Schedules table.')),
        nowBox),
      h('div', {class: 'col'},
        h('fieldset', null, h('legend', null, 'Rules, in order'),
          h('p', {class: 'hint', id: 'sched-rules-help'},
            'How the status is decided (first match): a matching closed rule closes the schedule, and the topmost one gives the reason; otherwise a matching open rule opens it; otherwise it is closed.'),
          list, rulesErr,
          admin ? h('div', {class: 'add-rule'},
            h('label', {for: 'sched-add-rule'}, 'Add a rule'), addSel, addBtn,
            h('a', {href: '#/rules/new', class: 'small-link', id: 'sched-create-rule', onclick: (e) => {
              // Keep this form: the rule editor comes back here, with the
              // new rule added to the list.
              e.preventDefault();
              sessionStorage.setItem(STASH_KEY, JSON.stringify({route: here, name: nameIn.value, timeZone: tzIn.value,
                manualClose: manualIn.checked, rules: ruleIds}));
              saved = true;
              location.hash = '#/rules/new?back=' + encodeURIComponent(here + '?restore=1');
            }}, 'Create a new rule…')) : null))),
    admin ? h('div', {class: 'actions sticky'},
      h('button', {type: 'submit', class: 'primary', id: 'sched-save'}, 'Save to draft'),
      mode === 'edit' ? h('button', {type: 'button', id: 'sched-save-copy', onclick: () => save(true)}, 'Save as copy') : null,
      mode === 'edit' ? h('button', {type: 'button', class: 'danger', id: 'sched-delete', onclick: () => remove().catch(reportError)}, 'Delete') : null,
      h('a', {href: '#/schedules', class: 'button'}, 'Cancel'))
      : h('div', {class: 'actions'}, h('a', {href: '#/schedules', class: 'button'}, 'Back to the schedules')));
  if (manualIn.id) manualIn.setAttribute('aria-describedby', 'sched-manual-hint');
  tzIn.addEventListener('change', () => {
    const z = canonicalZone(tzIn.value);
    if (z && z !== tzIn.value) tzIn.value = z;
  });
  if (!admin) for (const c of form.querySelectorAll('input, select')) c.disabled = true;

  const el = h('section', {class: 'view'},
    pageHeader(title,
      editingName && published(editingName) ? h('a', {class: 'button', href: link('week', editingName)}, 'Week view') : null,
      editingName && published(editingName) ? h('a', {class: 'button', href: '#/simulate?name=' + encodeURIComponent(editingName)}, 'Simulate') : null),
    h('p', {class: 'breadcrumbs'}, h('a', {href: '#/schedules'}, 'Schedules'), ' › ', title),
    form,
    editingName && published(editingName) ? feedSection(editingName, admin) : null);
  if (editingName && !statusOf(editingName) && published(editingName)) loadStatus(editingName).catch(() => {});
  renderList();
  renderNow();
  showServerErrors();
  // Live updates redraw only when the status or the deciding rule changed.
  const live = onChange(() => {
    const st = deciding();
    return st ? JSON.stringify([st.isOpen, st.closedReason, st.rule, st.holiday, st.nextTransition]) : '';
  }, () => {
    renderNow();
    renderList();
  });
  live();
  return {
    el,
    isDirty,
    update(topic) {
      if (topic === 'statuses') live();
    },
  };
}

function published(name) {
  return !!(state.base && (state.base.data.schedules || []).some((s) => s.name === name));
}

// feedSection: the schedule's calendar feed (iCalendar) — download it, or
// give Outlook/Google Calendar a secret link (shown once), and revoke
// links.
function feedSection(name, admin) {
  const list = h('div', {id: 'feed-links'}, h('p', {class: 'loading'}, 'Loading…'));
  const once = h('div', {id: 'feed-new', 'aria-live': 'polite'});
  const label = h('input', {type: 'text', id: 'feed-label', maxlength: '200', autocomplete: 'off', placeholder: 'e.g. Team Outlook'});
  async function load() {
    let links;
    try {
      links = (await api.feeds()).feeds.filter((f) => f.schedule === name);
    } catch (e) {
      mount(list, h('p', {class: 'muted'}, e.status === 404 ? 'Feed links are not enabled on this server.' : e.message));
      return;
    }
    mount(list, links.length ? h('ul', {class: 'feed-list'}, links.map((f) => h('li', {dataset: {id: f.id}},
      h('span', null, f.label || '(no label)', h('span', {class: 'muted'}, ` · created by ${f.createdBy} ${fmtLocal(f.created)}`)),
      admin ? h('button', {type: 'button', class: 'link-button danger', 'aria-label': `Revoke the feed link ${f.label || f.id}`, onclick: async () => {
        try {
          await api.revokeFeed(f.id);
          notify('The link stopped working.');
          load();
        } catch (e) { notify(e.message, 'error'); }
      }}, 'Revoke') : null))) : h('p', {class: 'muted'}, 'No feed links.'));
  }
  async function create() {
    try {
      const f = await api.createFeed(name, label.value.trim());
      const url = location.origin + f.path;
      const box = h('input', {type: 'text', id: 'feed-url', readOnly: true, value: url});
      mount(once, h('div', {class: 'banner ok', role: 'status'},
        h('p', null, h('strong', null, 'Copy this link now: it is shown only once.'), ' Anyone with it can read this schedule’s calendar.'),
        h('label', {for: 'feed-url', class: 'sr-only'}, 'Feed link'), box,
        h('button', {type: 'button', id: 'feed-copy', onclick: async () => {
          box.select();
          try {
            await navigator.clipboard.writeText(url);
            notify('Link copied.');
          } catch {
            notify('Select the link and copy it (Ctrl+C).', 'error');
          }
        }}, 'Copy link')));
      label.value = '';
      load();
    } catch (e) {
      notify(e.message, 'error');
    }
  }
  load();
  return h('section', {class: 'card feeds', id: 'feed-section'},
    h('h2', null, 'Calendar feed'),
    h('p', {class: 'hint'}, 'The opening hours as an iCalendar feed, for Outlook or Google Calendar.'),
    h('button', {type: 'button', id: 'feed-download', onclick: () => download(`/api/v1/schedules/${encodeURIComponent(name)}/calendar.ics`, `${name}.ics`).catch((e) => notify(e.message, 'error'))}, 'Download .ics'),
    admin ? h('div', {class: 'add-rule'}, h('label', {for: 'feed-label'}, 'New link label'), label,
      h('button', {type: 'button', id: 'feed-create', onclick: () => create()}, 'Create a feed link')) : null,
    once, list);
}
