// Shared UI pieces: notices, the confirm dialog, status badges, focus
// keeping across re-renders, links.

import {h, mount} from './dom.js';
import {fmtWhen, parseStamp} from './time.js';

export const link = (...parts) => '#/' + parts.map((p) => encodeURIComponent(p)).join('/');

let noticeTimer = null;
// notify shows a short message in the live region at the bottom.
export function notify(message, kind = 'ok') {
  const box = document.getElementById('notice');
  mount(box, h('div', {class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : null},
    h('span', null, message),
    h('button', {type: 'button', class: 'link-button', 'aria-label': 'Dismiss', onclick: () => mount(box)}, '×')));
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => mount(box), kind === 'error' ? 12000 : 6000);
}

// confirmDialog asks a yes/no question in a modal <dialog>.
export function confirmDialog({title, message, body = null, confirm = 'OK', cancel = 'Cancel', danger = false, wide = false}) {
  const dlg = document.getElementById('dialog');
  return new Promise((resolve) => {
    const done = (v) => {
      dlg.close();
      resolve(v);
    };
    mount(dlg,
      h('form', {method: 'dialog', class: 'dialog-body', onsubmit: (e) => { e.preventDefault(); done(true); }},
        h('h2', {id: 'dialog-title'}, title),
        message ? h('p', null, message) : null,
        body,
        h('div', {class: 'actions'},
          h('button', {type: 'submit', class: danger ? 'danger' : 'primary', id: 'dialog-confirm'}, confirm),
          h('button', {type: 'button', id: 'dialog-cancel', onclick: () => done(false)}, cancel))));
    dlg.classList.toggle('wide', wide);
    dlg.setAttribute('aria-labelledby', 'dialog-title');
    dlg.oncancel = (e) => { e.preventDefault(); done(false); };
    dlg.showModal();
    dlg.querySelector('#dialog-confirm').focus();
  });
}

// keepFocus re-renders with fn and puts the focus back on the element with
// the same data-focus-key, so live updates do not steal it.
export function keepFocus(root, fn) {
  const active = document.activeElement;
  const key = active && root.contains(active) ? active.dataset.focusKey : null;
  fn();
  if (key) {
    const again = root.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

// statusBadge: "Open" or "Closed · holiday", colour plus text.
export function statusBadge(status) {
  if (!status) return h('span', {class: 'status unknown'}, 'Not published');
  if (status.isOpen) return h('span', {class: 'status open'}, h('span', {class: 'dot', 'aria-hidden': 'true'}), 'Open');
  const reason = status.closedReason || 'closed';
  return h('span', {class: `status closed reason-${reason === 'manual' ? 'manual' : reason === 'holiday' ? 'holiday' : 'other'}`},
    h('span', {class: 'dot', 'aria-hidden': 'true'}), 'Closed', reason === 'closed' ? null : h('span', {class: 'reason'}, ' · ' + reason));
}

export function effectBadge(rule) {
  return rule.isOpen ? h('span', {class: 'effect open'}, 'Open')
    : h('span', {class: 'effect closed'}, 'Closed', h('span', {class: 'reason'}, ' · ' + (rule.closedReason || '?')));
}

// nextChange: "opens Mon 08:00", "closes Fri 17:00 (lunch)".
export function nextChange(status) {
  if (!status) return '';
  const n = status.nextTransition;
  if (!n) return status.closedReason === 'manual' ? 'until reopened' : 'no change within a year';
  const ref = parseStamp(status.at);
  const when = fmtWhen(n.at, ref ? ref.date : null);
  if (n.isOpen) return `opens ${when}`;
  if (status.isOpen) return `closes ${when}` + (n.closedReason && n.closedReason !== 'closed' ? ` (${n.closedReason})` : '');
  return `${status.closedReason || 'closed'} until ${when} (then ${n.closedReason || 'closed'})`;
}

export function pageHeader(title, ...actions) {
  return h('div', {class: 'page-head'},
    h('h1', {tabindex: '-1', class: 'page-title'}, title),
    actions.length ? h('div', {class: 'page-actions'}, actions) : null);
}

// onChange returns a function that calls render only when key() differs
// from the last time, so updates that change nothing redraw nothing.
export function onChange(key, render) {
  let last = null;
  return (force) => {
    const k = key();
    if (!force && k === last) return;
    last = k;
    render();
  };
}

export function emptyState(text, ...extra) {
  return h('div', {class: 'empty'}, h('p', null, text), extra);
}
