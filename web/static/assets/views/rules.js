import {h, mount} from '../dom.js';
import {describeChange} from '../diff.js';
import {describeRule} from '../rules.js';
import {doc, draftChanges, editDoc, errorsFor, isAdmin, reportError, state} from '../state.js';
import {confirmDialog, effectBadge, emptyState, keepFocus, link, notify, onChange, pageHeader} from '../ui.js';

export function usedBy(d, id) {
  return d.schedules.filter((s) => (s.rules || []).includes(id)).map((s) => s.name);
}

// deleteRule removes a rule from the draft unless a schedule uses it.
export async function deleteRule(id) {
  const d = doc();
  const rule = d.rules.find((r) => r.id === id);
  if (!rule) return false;
  const label = rule.name || rule.id;
  const users = usedBy(d, id);
  if (users.length) {
    notify(`“${label}” cannot be deleted: it is used by ${users.map((n) => `“${n}”`).join(', ')}. Remove it from ${users.length === 1 ? 'that schedule' : 'those schedules'} first.`, 'error');
    return false;
  }
  const ok = await confirmDialog({title: `Delete rule “${label}”?`, message: 'No schedule uses it. The rule is removed from your draft until you publish.', confirm: 'Delete', danger: true});
  if (!ok) return false;
  editDoc((x) => { x.rules = x.rules.filter((r) => r.id !== id); });
  notify(`Deleted rule “${label}” in the draft. Publish to apply.`);
  return true;
}

export function rulesView() {
  const admin = isAdmin();
  const filter = h('input', {type: 'search', id: 'rule-filter', placeholder: 'Name, description or reason', autocomplete: 'off'});
  const tbody = h('tbody');
  const body = h('div');
  const table = h('table', {class: 'grid rules', id: 'rules-table'},
    h('caption', {class: 'sr-only'}, 'Rules'),
    h('thead', null, h('tr', null,
      h('th', {scope: 'col'}, 'Rule'), h('th', {scope: 'col'}, 'When'), h('th', {scope: 'col'}, 'Effect'),
      h('th', {scope: 'col'}, 'Used by'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
    tbody);
  const el = h('section', {class: 'view'},
    pageHeader('Rules', admin ? h('a', {class: 'button primary', href: '#/rules/new', id: 'new-rule'}, 'New rule') : null),
    h('p', {class: 'lead'}, 'A rule opens or closes a schedule at certain dates and times. A schedule lists the rules it uses.'),
    h('div', {class: 'toolbar'}, h('label', {for: 'rule-filter'}, 'Filter'), filter),
    body);

  function render() {
    const d = doc();
    if (!d.rules.length) {
      mount(body, emptyState('No rules yet.', admin ? h('a', {class: 'button primary', href: '#/rules/new'}, 'Create a rule') : null));
      return;
    }
    const changes = draftChanges();
    const q = filter.value.trim().toLowerCase();
    const rows = [];
    for (const r of d.rules) {
      const desc = describeRule(r);
      const hay = [r.name, r.id, desc, r.closedReason].join(' ').toLowerCase();
      if (q && !hay.includes(q)) continue;
      const users = usedBy(d, r.id);
      const c = changes.find((x) => x.kind === 'rule' && x.key === r.id);
      const errs = errorsFor('rule', r.id);
      rows.push(h('tr', {dataset: {id: r.id}, class: errs.length ? 'has-error' : null},
        h('th', {scope: 'row', 'data-label': 'Rule'},
          h('a', {href: link('rules', 'edit', r.id), class: 'name'}, r.name || r.id),
          c ? h('span', {class: 'tag draft', title: describeChange(c)}, c.op === 'added' ? 'new in draft' : 'changed in draft') : null,
          errs.length ? h('span', {class: 'tag error', title: errs.map((e) => e.message).join('\n')}, `${errs.length} problem${errs.length > 1 ? 's' : ''}`) : null),
        h('td', {'data-label': 'When', class: 'desc'}, desc),
        h('td', {'data-label': 'Effect'}, effectBadge(r)),
        h('td', {'data-label': 'Used by'}, users.length
          ? users.map((n, i) => [i ? ', ' : '', h('a', {href: link('schedules', 'edit', n)}, n)])
          : h('span', {class: 'muted'}, 'not used')),
        h('td', {class: 'row-actions'},
          h('a', {href: link('rules', 'edit', r.id), 'aria-label': `${admin ? 'Edit' : 'View'} rule ${r.name || r.id}`}, admin ? 'Edit' : 'View'),
          admin ? h('a', {href: link('rules', 'copy', r.id), 'aria-label': `Copy rule ${r.name || r.id}`}, 'Copy') : null,
          admin ? h('button', {type: 'button', class: 'link-button danger', dataset: {focusKey: 'del:' + r.id},
            'aria-label': `Delete rule ${r.name || r.id}`, onclick: () => deleteRule(r.id).catch(reportError)}, 'Delete') : null)));
    }
    keepFocus(el, () => {
      mount(tbody, rows.length ? rows : h('tr', null, h('td', {colspan: '5', class: 'muted'}, 'No rule matches the filter.')));
      if (body.firstChild !== table) mount(body, table);
    });
  }
  const redraw = onChange(() => JSON.stringify([doc(), draftChanges().map((c) => c.kind + c.key + c.op), state.serverErrors, filter.value]), render);
  filter.addEventListener('input', () => redraw());
  redraw();
  return {el, update(topic) { if (topic !== 'statuses' && topic !== 'live') redraw(); }};
}
