import {field, h, mount, option} from '../dom.js';
import {api} from '../api.js';
import {doc, hasDraft, isAdmin, state} from '../state.js';
import {sourceToggle} from './week.js';
import {fmtStamp, isDate, nowLocalTime, todayLocal} from '../time.js';
import {link, nextChange, pageHeader, statusBadge} from '../ui.js';

export function simulateView(route) {
  const q = route.query;
  let draft = q.get('draft') === '1' && isAdmin() && hasDraft();
  const names = () => ((draft ? doc() : state.base.data).schedules || []).map((x) => x.name);
  const published = names();
  const nameSel = h('select', {id: 'sim-schedule', required: true}, published.map((n) => option(n, n)));
  if (q.get('name') && published.includes(q.get('name'))) nameSel.value = q.get('name');
  const dateIn = h('input', {type: 'date', id: 'sim-date', value: isDate(q.get('date')) ? q.get('date') : todayLocal(), required: true});
  const timeIn = h('input', {type: 'time', id: 'sim-time', value: /^\d{2}:\d{2}$/.test(q.get('time') || '') ? q.get('time') : nowLocalTime(), required: true});
  const result = h('div', {class: 'sim-result', id: 'sim-result', 'aria-live': 'polite'});
  const btn = h('button', {type: 'submit', class: 'primary', id: 'sim-run'}, 'Check');

  async function run() {
    const name = nameSel.value;
    if (!name || !isDate(dateIn.value) || !/^\d{2}:\d{2}/.test(timeIn.value)) {
      mount(result, h('p', {class: 'error', role: 'alert'}, 'Choose a schedule, a date and a time.'));
      return;
    }
    const at = `${dateIn.value}T${timeIn.value.slice(0, 5)}`;
    btn.disabled = true;
    mount(result, h('p', {class: 'loading'}, 'Checking…'));
    try {
      const r = draft ? await api.previewCheck(doc(), name, at) : await api.check(name, at);
      const why = r.closedReason === 'manual' ? 'Manually closed.'
        : r.rule ? ['Decided by the rule ', h('a', {href: link('rules', 'edit', r.rule.id)}, r.rule.name || r.rule.id), '.']
          : 'No rule matches at that time.';
      const draftNote = draft ? h('p', {class: 'hint', id: 'sim-source'}, 'Answered by your unpublished draft.')
        : h('p', {class: 'hint', id: 'sim-source'}, `Answered by the published version ${r.configVersion || ''}.`);
      mount(result, h('div', {class: 'card result', dataset: {open: String(r.isOpen)}},
        h('p', {class: 'big'}, statusBadge(r), r.holiday ? h('span', {class: 'holiday'}, r.holiday) : null),
        h('dl', {class: 'facts'},
          h('dt', null, 'Schedule'), h('dd', null, r.schedule),
          h('dt', null, 'At'), h('dd', {id: 'sim-at'}, `${fmtStamp(r.at)} · ${r.timeZone}`),
          h('dt', null, 'Why'), h('dd', {id: 'sim-why'}, why),
          r.holiday ? [h('dt', null, 'Holiday'), h('dd', {id: 'sim-holiday'}, r.holiday)] : null,
          h('dt', null, 'Next change'), h('dd', {id: 'sim-next'},
            nextChange(r), r.nextTransition ? h('span', {class: 'muted'}, ` · ${fmtStamp(r.nextTransition.at)}`) : null)),
        draftNote));
      history.replaceState(null, '', `#/simulate?name=${encodeURIComponent(name)}&date=${dateIn.value}&time=${timeIn.value.slice(0, 5)}${draft ? '&draft=1' : ''}`);
    } catch (e) {
      mount(result, h('p', {class: 'error', role: 'alert'}, e.message));
    } finally {
      btn.disabled = false;
    }
  }

  const form = h('form', {class: 'card sim-form', id: 'sim-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); run(); }},
    h('div', {class: 'row fields'},
      field({id: 'sim-schedule', label: 'Schedule', control: nameSel}),
      field({id: 'sim-date', label: 'Date', control: dateIn}),
      field({id: 'sim-time', label: 'Time', control: timeIn, hint: 'Wall clock in the schedule’s time zone.'})),
    h('div', {class: 'actions'}, btn));
  const el = h('section', {class: 'view'},
    pageHeader('Simulate'),
    sourceToggle(draft, (dr) => {
      draft = dr;
      const keep = nameSel.value;
      mount(nameSel, names().map((n) => option(n, n)));
      if (names().includes(keep)) nameSel.value = keep;
      mount(result);
    }),
    h('p', {class: 'lead'}, 'Pick a moment and see what callers would get: open or closed, why, and when it changes next. This is Twilio’s check-schedule with simulate.'),
    published.length ? form : h('p', {class: 'muted'}, 'No published schedules.'),
    result);
  if (q.get('date') && q.get('name')) setTimeout(run, 0);
  return {el};
}
