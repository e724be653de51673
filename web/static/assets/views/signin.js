import {h} from '../dom.js';
import {ApiError} from '../api.js';
import {signIn} from '../state.js';

export function signInView({onSignedIn}) {
  const input = h('input', {type: 'password', id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-hint token-error'});
  const err = h('p', {class: 'field-error', id: 'token-error', role: 'alert', hidden: true});
  const button = h('button', {type: 'submit', class: 'primary', id: 'sign-in'}, 'Sign in');
  const form = h('form', {class: 'signin card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    err.hidden = true;
    if (!token) {
      err.textContent = 'Enter your access token.';
      err.hidden = false;
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      await signIn(token);
      onSignedIn();
    } catch (ex) {
      err.textContent = ex instanceof ApiError && ex.status === 401
        ? 'This token was not accepted. Check it and try again.'
        : ex.message;
      err.hidden = false;
      button.disabled = false;
      button.textContent = 'Sign in';
      input.focus();
    }
  }},
  h('h1', {class: 'page-title', tabindex: '-1'}, 'Sign in'),
  h('p', null, 'Schedule Manager decides when your contact-centre schedules are open. Sign in with an access token: an admin token edits, a viewer token reads.'),
  h('div', {class: 'field'},
    h('label', {for: 'token'}, 'Access token'),
    input,
    h('p', {class: 'hint', id: 'token-hint'}, 'Kept in this browser tab only (session storage) until you sign out or close the tab.'),
    err),
  h('div', {class: 'actions'}, button));
  setTimeout(() => input.focus(), 0);
  return {el: h('section', {class: 'view narrow'}, form)};
}
