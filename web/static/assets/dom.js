// DOM helpers. Every piece of user text goes in through textContent or an
// attribute value, never parsed as HTML, so nothing a config contains can
// become markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Properties set on the element itself (not as attributes).
const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'readOnly', 'indeterminate', 'open']);

function applyProps(el, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') {
      if (v) el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    } else if (k === 'text') {
      el.textContent = String(v);
    } else if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
    } else if (k === 'style' && typeof v === 'object') {
      Object.assign(el.style, v);
    } else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (PROPS.has(k)) {
      el[k] = v;
    } else if (v === false) {
      continue;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

function appendAll(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// h('button', {class: 'x', onclick: fn}, 'text', child, ...)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  appendAll(el, children);
  applyProps(el, props); // after children, so a select's value finds its option
  return el;
}

// s('rect', {x: 1}) builds an SVG element.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
      else el.setAttribute(k, String(v));
    }
  }
  appendAll(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function mount(el, ...children) {
  clear(el);
  appendAll(el, children);
  return el;
}

// A labelled form field: label, control, optional hint and an error slot
// that aria-describedby points at.
export function field({id, label, control, hint, error, className}) {
  control.id = control.id || id;
  const hintEl = hint ? h('p', {class: 'hint', id: id + '-hint'}, hint) : null;
  const errEl = h('p', {class: 'field-error', id: id + '-error', hidden: !error}, error || '');
  const described = [hintEl ? id + '-hint' : null, id + '-error'].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  if (error) control.setAttribute('aria-invalid', 'true');
  return h('div', {class: ['field', className].filter(Boolean).join(' '), dataset: {field: id}},
    h('label', {for: control.id}, label), control, hintEl, errEl);
}

// setFieldError shows (or hides, with msg '') the error under a field.
export function setFieldError(root, id, msg) {
  const errEl = root.querySelector('#' + CSS.escape(id) + '-error');
  const control = root.querySelector('#' + CSS.escape(id));
  if (errEl) {
    errEl.textContent = msg || '';
    errEl.hidden = !msg;
  }
  if (control) {
    if (msg) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
  }
}

export function option(value, label, selected) {
  return h('option', {value, selected: !!selected}, label);
}

// visuallyHidden text for screen readers.
export function sr(text) {
  return h('span', {class: 'sr-only'}, text);
}
