import {h, mount} from '../dom.js';
import {api} from '../api.js';
import {isAdmin, reportError} from '../state.js';
import {fmtLocal} from '../time.js';
import {confirmDialog, emptyState, notify, pageHeader} from '../ui.js';

function stateBadge(w) {
  if (w.state === 'disabled') {
    const d = w.disabled || {};
    const why = d.reason === 'gone' ? `the receiver answered ${d.status || 410} Gone` : d.by ? `by ${d.by}` : d.reason || '';
    return [h('span', {class: 'status closed reason-manual'}, h('span', {class: 'dot', 'aria-hidden': 'true'}), 'Disabled'),
      h('span', {class: 'holiday'}, `${why}${d.at ? ', ' + fmtLocal(d.at) : ''}`)];
  }
  if (w.state === 'failing') {
    const f = w.failing || {};
    return [h('span', {class: 'status closed reason-holiday'}, h('span', {class: 'dot', 'aria-hidden': 'true'}), 'Failing'),
      h('span', {class: 'holiday'}, `${f.lastError || (f.lastStatus ? 'HTTP ' + f.lastStatus : '')}${f.since ? ', since ' + fmtLocal(f.since) : ''}`)];
  }
  return h('span', {class: 'status open'}, h('span', {class: 'dot', 'aria-hidden': 'true'}), 'Active');
}

const count = (n) => (n === undefined || n === null ? '—' : String(n));

// The Webhooks page: every endpoint with its delivery state, backlog and
// dead letters; admins enable or disable an endpoint and redeliver its
// dead letters. A viewer sees the same, without the buttons.
export function webhooksView() {
  const admin = isAdmin();
  const body = h('div', {id: 'webhooks-body'}, h('p', {class: 'loading'}, 'Loading…'));
  const letters = h('div', {id: 'dead-letters', 'aria-live': 'polite'});
  let timer = null;

  async function act(what, fn) {
    try {
      await fn();
      notify(what);
    } catch (e) {
      notify(e.message, 'error');
    }
    load();
  }

  async function showLetters(w) {
    mount(letters, h('p', {class: 'loading'}, 'Loading…'));
    try {
      const r = await api.deadLetters(w.id);
      const list = r.deadLetters || [];
      mount(letters, h('section', {class: 'card', id: 'letters-card'},
        h('h2', null, `Dead letters of ${w.id}`),
        list.length ? h('table', {class: 'grid compact', id: 'letters-table'},
          h('caption', {class: 'sr-only'}, 'Dead letters'),
          h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Event'), h('th', {scope: 'col'}, 'Schedule'), h('th', {scope: 'col'}, 'Attempts'),
            h('th', {scope: 'col'}, 'Last error'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
          h('tbody', null, list.map((d) => h('tr', {dataset: {seq: d.seq}},
            h('th', {scope: 'row', 'data-label': 'Event'}, d.type || d.eventId),
            h('td', {'data-label': 'Schedule'}, d.schedule || '—'),
            h('td', {'data-label': 'Attempts'}, String(d.attempts || 0)),
            h('td', {'data-label': 'Last error'}, d.lastError || '—'),
            h('td', {class: 'row-actions'}, admin ? h('button', {type: 'button', class: 'link-button', 'aria-label': `Redeliver dead letter ${d.seq}`,
              onclick: () => act(`Dead letter ${d.seq} redelivered.`, async () => {
                const res = await api.redeliverOne(w.id, d.seq);
                if (!res.delivered) throw new Error(`Not delivered: ${res.error || 'HTTP ' + res.status}`);
              }).then(() => showLetters(w))}, 'Redeliver') : null)))))
          : h('p', {class: 'muted'}, 'No dead letters.')));
    } catch (e) {
      mount(letters, h('p', {class: 'error', role: 'alert'}, e.message));
    }
  }

  function render(list) {
    if (!list.length) {
      mount(body, emptyState('No webhook endpoints. Create them with POST /api/v1/webhooks or in the service settings (webhooks.endpoints).'));
      return;
    }
    mount(body, h('table', {class: 'grid', id: 'webhooks-table'},
      h('caption', {class: 'sr-only'}, 'Webhook endpoints'),
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Endpoint'), h('th', {scope: 'col'}, 'State'), h('th', {scope: 'col'}, 'Backlog'),
        h('th', {scope: 'col'}, 'Dead letters'), h('th', {scope: 'col'}, 'Schedules'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Actions')))),
      h('tbody', null, list.map((w) => h('tr', {dataset: {id: w.id, state: w.state}},
        h('th', {scope: 'row', 'data-label': 'Endpoint'}, w.id, h('span', {class: 'holiday url'}, w.url)),
        h('td', {'data-label': 'State', class: 'cell-status'}, stateBadge(w)),
        h('td', {'data-label': 'Backlog'}, count(w.backlog)),
        h('td', {'data-label': 'Dead letters'}, count(w.deadLetters)),
        h('td', {'data-label': 'Schedules'}, w.schedules.length ? w.schedules.join(', ') : 'all'),
        h('td', {class: 'row-actions'},
          h('button', {type: 'button', class: 'link-button', 'aria-label': `Dead letters of ${w.id}`, onclick: () => showLetters(w)}, 'Dead letters'),
          admin && w.deadLetters ? h('button', {type: 'button', class: 'link-button', 'aria-label': `Redeliver all dead letters of ${w.id}`,
            onclick: () => act('Dead letters redelivered (oldest first, stopping at the first failure).', async () => {
              const r = await api.redeliverAll(w.id);
              const failed = (r.results || []).find((x) => !x.delivered);
              if (failed) throw new Error(`Stopped at dead letter ${failed.seq}: ${failed.error || 'HTTP ' + failed.status}; ${r.remaining} left`);
            })}, 'Redeliver all') : null,
          admin ? h('button', {type: 'button', class: 'link-button' + (w.state === 'disabled' ? '' : ' danger'), id: `toggle-${w.id}`,
            'aria-label': `${w.state === 'disabled' ? 'Enable' : 'Disable'} ${w.id}`, onclick: async () => {
              const enable = w.state === 'disabled';
              if (!enable && !await confirmDialog({title: `Disable ${w.id}?`, message: 'Nothing is sent to it until it is enabled again; its events wait, in order.', confirm: 'Disable', danger: true})) return;
              act(enable ? `${w.id} enabled: its waiting events follow in order.` : `${w.id} disabled.`, () => api.setWebhook(w.id, enable));
            }}, w.state === 'disabled' ? 'Enable' : 'Disable') : null))))));
  }

  async function load() {
    clearTimeout(timer);
    try {
      const r = await api.webhooks();
      render(r.webhooks || []);
    } catch (e) {
      mount(body, e.status === 404 ? emptyState('Webhooks are disabled on this service.') : h('p', {class: 'error', role: 'alert'}, e.message));
      return;
    }
    timer = setTimeout(() => load().catch(reportError), 10000);
  }
  load();
  return {
    el: h('section', {class: 'view'},
      pageHeader('Webhooks'),
      h('p', {class: 'lead'}, 'Endpoints that receive every open/close event, signed (Standard Webhooks). A failing endpoint is retried for about a day; what still fails becomes a dead letter you can redeliver.'),
      body, letters),
    destroy() { clearTimeout(timer); },
  };
}
