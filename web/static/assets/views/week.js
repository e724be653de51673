import {h, mount, option, s} from '../dom.js';
import {api} from '../api.js';
import {doc, draftChanges, hasDraft, isAdmin, state} from '../state.js';
import {addDays, dayHours, daysBetween, fmtClock, fmtDate, isDate, mondayOf, parseStamp, todayLocal, wallClockIn} from '../time.js';
import {link, pageHeader} from '../ui.js';

const R = 10, TOP = 24, ROW = 30, GAP = 6;
let svgCount = 0;

function reasonClass(seg) {
  if (seg.isOpen) return 'open';
  if (seg.closedReason === 'holiday') return 'holiday';
  if (seg.closedReason === 'manual') return 'manual';
  if (seg.closedReason === 'closed') return 'closed';
  return 'other';
}

function segLabel(seg) {
  return seg.isOpen ? 'Open' : `Closed: ${seg.closedReason}`;
}

// pieces cuts the timeline's segments into per-day bands by local wall
// clock. Segments carry real instants rendered in the schedule's zone, so a
// 23-hour or 25-hour day is drawn from its wall-clock times; where an hour
// repeats (DST ends), the second pass has the same status as the first
// (status depends only on date and wall clock) and is skipped.
export function pieces(segments, from, days = 7) {
  const out = [];
  for (const seg of segments) {
    const a = parseStamp(seg.start), b = parseStamp(seg.end);
    if (!a || !b) continue;
    for (let date = a.date; date <= b.date; date = addDays(date, 1)) {
      const day = daysBetween(from, date);
      const start = date === a.date ? a.min : 0;
      const end = date === b.date ? b.min : 1440;
      if (day < 0 || day >= days || end <= start) continue;
      out.push({day, date, start, end, seg});
    }
  }
  return out;
}

// weekSvg draws the week at the given width in CSS pixels, so text keeps
// its size on a phone and on a wide screen.
function weekSvg(tl, from, width) {
  const id = ++svgCount;
  const W = Math.max(320, Math.round(width));
  const narrow = W < 640;
  const L = narrow ? 58 : 112;
  const PLOT = W - L - R;
  const step = narrow ? 6 : 3;
  const tz = tl.timeZone;
  const H = TOP + 7 * (ROW + GAP);
  const x = (min) => L + (min / 1440) * PLOT;
  const parts = pieces(tl.segments, from);
  const openParts = parts.filter((p) => p.seg.isOpen);
  const openMin = openParts.reduce((t, p) => t + (p.end - p.start), 0);
  const titleId = `wk-title-${id}`, descId = `wk-desc-${id}`;
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'week-svg', role: 'img', 'aria-labelledby': `${titleId} ${descId}`,
    dataset: {schedule: tl.schedule}, preserveAspectRatio: 'xMinYMin meet'},
  s('title', {id: titleId, text: `${tl.schedule}: week of ${fmtDate(from)}`}),
  s('desc', {id: descId, text: `Open ${Math.round(openMin / 6) / 10} hours in ${openParts.length} periods. Times are ${tz} wall clock.`}),
  s('defs', null,
    s('pattern', {id: `p-closed-${id}`, width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)'},
      s('rect', {width: 8, height: 8, class: 'pat-bg closed'}), s('line', {x1: 0, y1: 0, x2: 0, y2: 8, class: 'pat-line closed'})),
    s('pattern', {id: `p-holiday-${id}`, width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(-45)'},
      s('rect', {width: 8, height: 8, class: 'pat-bg holiday'}), s('line', {x1: 0, y1: 0, x2: 0, y2: 8, class: 'pat-line holiday'})),
    s('pattern', {id: `p-manual-${id}`, width: 8, height: 8, patternUnits: 'userSpaceOnUse'},
      s('rect', {width: 8, height: 8, class: 'pat-bg manual'}),
      s('path', {d: 'M0 0L8 8M8 0L0 8', class: 'pat-line manual'})),
    s('pattern', {id: `p-other-${id}`, width: 6, height: 6, patternUnits: 'userSpaceOnUse'},
      s('rect', {width: 6, height: 6, class: 'pat-bg other'}), s('circle', {cx: 3, cy: 3, r: 1.2, class: 'pat-dot other'}))));
  // Hour grid.
  for (let hr = 0; hr <= 24; hr += step) {
    svg.append(s('line', {x1: x(hr * 60), x2: x(hr * 60), y1: TOP - 4, y2: H - GAP / 2, class: 'grid-line'}));
    svg.append(s('text', {x: x(hr * 60), y: TOP - 9, class: 'hour', 'text-anchor': hr === 0 ? 'start' : hr === 24 ? 'end' : 'middle', text: `${String(hr).padStart(2, '0')}:00`}));
  }
  const today = wallClockIn(tz);
  for (let i = 0; i < 7; i++) {
    const date = addDays(from, i);
    const y = TOP + i * (ROW + GAP);
    const hours = dayHours(tz, date);
    const g = s('g', {class: 'day' + (date === today.date ? ' today' : ''), dataset: {date}});
    const label = narrow ? `${fmtDate(date, {year: false}).split(' ').slice(0, 2).join(' ')}` : fmtDate(date, {year: false});
    g.append(s('text', {x: 2, y: y + (hours !== 24 ? 12 : ROW / 2 + 5), class: 'day-label', text: label}));
    if (hours !== 24) {
      g.append(s('text', {x: 2, y: y + 26, class: 'dst-label', text: narrow ? `${hours} h DST` : `${hours} h · DST`},
        s('title', {text: `Clocks change on this day in ${tz}: the day has ${hours} hours.`})));
    }
    g.append(s('rect', {x: L, y, width: PLOT, height: ROW, class: 'row-bg'}));
    svg.append(g);
  }
  for (const p of parts) {
    const cls = reasonClass(p.seg);
    const y = TOP + p.day * (ROW + GAP);
    const x0 = x(p.start), w = Math.max(x(p.end) - x0, 1);
    const rule = p.seg.rule ? ` — ${p.seg.rule.name || p.seg.rule.id}` : '';
    const hol = p.seg.holiday ? ` (${p.seg.holiday})` : '';
    const tip = `${segLabel(p.seg)}${hol}, ${fmtDate(p.date, {year: false})} ${fmtClock(p.start)}–${fmtClock(p.end)}${rule}`;
    const g = s('g', {class: `band band-${cls}`, dataset: {day: p.day, open: String(p.seg.isOpen)}},
      s('title', {text: tip}),
      s('rect', {x: x0, y, width: w, height: ROW, rx: 3, fill: cls === 'open' ? null : `url(#p-${cls}-${id})`, class: `band-rect ${cls}`}));
    const text = p.seg.isOpen ? (w > 130 ? `Open ${fmtClock(p.start)}–${fmtClock(p.end)}` : 'Open') : (p.seg.holiday && w > 200 ? p.seg.holiday : p.seg.closedReason);
    if (w > text.length * 7 + 8) {
      g.append(s('text', {x: x0 + w / 2, y: y + ROW / 2 + 4, 'text-anchor': 'middle', class: `band-text ${cls}`, text}));
    }
    svg.append(g);
  }
  const nowDay = daysBetween(from, today.date);
  if (nowDay >= 0 && nowDay < 7) {
    const y = TOP + nowDay * (ROW + GAP);
    const nx = x(today.min);
    svg.append(s('g', {class: 'now-marker'},
      s('title', {text: `Now: ${fmtClock(today.min)} ${tz}`}),
      s('line', {x1: nx, x2: nx, y1: y - 4, y2: y + ROW + 4}),
      s('path', {d: `M${nx - 5} ${y - 8}L${nx + 5} ${y - 8}L${nx} ${y - 2}Z`})));
  }
  return svg;
}

function legend() {
  const item = (cls, text) => h('li', null, h('span', {class: `swatch ${cls}`, 'aria-hidden': 'true'}), text);
  return h('ul', {class: 'legend', 'aria-label': 'Legend'},
    item('open', 'Open (solid)'), item('closed', 'Closed (hatched)'), item('holiday', 'Holiday (hatched)'),
    item('other', 'Other reason (dotted)'), item('manual', 'Manual close (cross-hatched)'),
    h('li', null, h('span', {class: 'swatch now', 'aria-hidden': 'true'}), 'Now'));
}

function segmentsTable(tl, from) {
  const rows = pieces(tl.segments, from).map((p) => h('tr', null,
    h('td', null, fmtDate(p.date, {year: false})), h('td', null, `${fmtClock(p.start)}–${fmtClock(p.end)}`),
    h('td', null, segLabel(p.seg) + (p.seg.holiday ? ` (${p.seg.holiday})` : '')),
    h('td', null, p.seg.rule ? (p.seg.rule.name || p.seg.rule.id) : '—')));
  return h('details', {class: 'as-table'}, h('summary', null, 'Show as a table'),
    h('table', {class: 'grid compact'}, h('thead', null, h('tr', null,
      h('th', {scope: 'col'}, 'Day'), h('th', {scope: 'col'}, 'Time'), h('th', {scope: 'col'}, 'Status'), h('th', {scope: 'col'}, 'Rule'))),
    h('tbody', null, rows)));
}

// MAX_ALL bounds the schedules drawn on the all-schedules page.
const MAX_ALL = 20;

// sourceToggle: published version or the draft (admins with a draft).
export function sourceToggle(draft, onPick) {
  if (!isAdmin() || !hasDraft()) return null;
  const radio = (value, label) => h('label', {class: 'choice', for: 'src-' + value},
    h('input', {type: 'radio', name: 'source', id: 'src-' + value, value, checked: draft === (value === 'draft'),
      onchange: () => onPick(value === 'draft')}), label);
  return h('fieldset', {class: 'source-toggle', id: 'source-toggle'}, h('legend', null, 'Show'),
    radio('published', 'Published version'), radio('draft', 'Your draft'));
}

export function weekView(route, {name}) {
  let from = route.query.get('from');
  if (!isDate(from)) from = mondayOf(todayLocal());
  const draft = route.query.get('draft') === '1' && isAdmin() && hasDraft();
  const source = draft ? doc() : state.base.data;
  const published = (source.schedules || []).map((x) => x.name);
  const names = name ? [name] : published.slice(0, MAX_ALL);
  const go = (f, n = name, dr = draft) => { location.hash = (n ? link('week', n) : '#/week') + '?from=' + f + (dr ? '&draft=1' : ''); };
  const pick = h('select', {id: 'week-schedule', value: name || '', onchange: () => go(from, pick.value || undefined)},
    option('', 'All schedules'), published.map((n) => option(n, n)));
  if (name && !published.includes(name)) pick.append(option(name, name));
  pick.value = name || '';
  const body = h('div', {class: 'weeks', id: 'week-body', 'aria-busy': 'true'});
  const changed = new Set(draftChanges().filter((c) => c.kind === 'schedule').map((c) => c.key));
  const el = h('section', {class: 'view'},
    pageHeader(name ? `Week: ${name}` : 'Week'),
    h('div', {class: 'toolbar week-nav'},
      h('div', {class: 'field inline'}, h('label', {for: 'week-schedule'}, 'Schedule'), pick),
      h('div', {class: 'btn-group', role: 'group', 'aria-label': 'Week'},
        h('button', {type: 'button', id: 'week-prev', onclick: () => go(addDays(from, -7))}, '‹ Previous week'),
        h('button', {type: 'button', id: 'week-today', onclick: () => go(mondayOf(todayLocal()))}, 'This week'),
        h('button', {type: 'button', id: 'week-next', onclick: () => go(addDays(from, 7))}, 'Next week ›')),
      h('span', {class: 'range', id: 'week-range'}, `${fmtDate(from)} – ${fmtDate(addDays(from, 6))}`)),
    sourceToggle(draft, (dr) => go(from, name, dr)),
    h('p', {class: 'hint', id: 'week-source'}, 'Each row is a day in the schedule’s own time zone, midnight to midnight. Hover or focus a band for its reason. ',
      draft ? h('strong', null, 'Your unpublished draft is shown.') : 'The published version is shown.'),
    !name && published.length > MAX_ALL ? h('p', {class: 'hint'}, `The first ${MAX_ALL} of ${published.length} schedules; pick one above for the others.`) : null,
    legend(),
    body);

  const blocks = names.map((n) => {
    const box = h('section', {class: 'week-block', dataset: {schedule: n}},
      h('h2', null, name ? '' : h('a', {href: link('week', n) + '?from=' + from}, n), name ? n : null),
      h('p', {class: 'loading'}, 'Loading…'));
    return {n, box};
  });
  if (!names.length) mount(body, h('p', {class: 'muted'}, 'No schedules.'));
  else mount(body, blocks.map((b) => b.box));

  let alive = true;
  const drawn = [];
  const redraw = () => {
    for (const d of drawn) {
      const w = d.wrap.clientWidth;
      if (Math.abs(w - d.w) < 8) continue;
      d.w = w;
      mount(d.wrap, weekSvg(d.tl, from, w));
    }
  };
  let resizeTimer = null;
  const onResize = () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(redraw, 150);
  };
  window.addEventListener('resize', onResize);
  Promise.all(blocks.map(async ({n, box}) => {
    try {
      const tl = draft ? await api.previewTimeline(source, n, from, addDays(from, 7)) : await api.timeline(n, from, addDays(from, 7));
      if (!alive) return;
      const head = box.querySelector('h2');
      head.append(h('span', {class: 'tz'}, tl.timeZone));
      if (changed.has(n)) head.append(h('span', {class: 'tag draft'}, draft ? 'changed in draft' : 'draft differs'));
      const wrap = h('div', {class: 'svg-wrap'});
      box.querySelector('.loading').replaceWith(wrap, segmentsTable(tl, from));
      const w = wrap.clientWidth;
      drawn.push({wrap, tl, w});
      wrap.append(weekSvg(tl, from, w));
    } catch (e) {
      if (!alive) return;
      box.querySelector('.loading').replaceWith(h('p', {class: 'error', role: 'alert'}, e.message));
    }
  })).finally(() => { if (alive) body.setAttribute('aria-busy', 'false'); });

  return {el, destroy() {
    alive = false;
    window.removeEventListener('resize', onResize);
    clearTimeout(resizeTimer);
  }};
}
