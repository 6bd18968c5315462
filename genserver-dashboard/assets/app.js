// The genserver dashboard: reads the JSON endpoints beside this page and
// draws them. Every value goes into the page as text (textContent, text
// nodes, setAttribute), never as markup. Plain JavaScript, no build step.
'use strict';

(function () {
  // The endpoints are beside the page, wherever it is mounted, with or
  // without a trailing slash.
  const base = location.pathname.replace(/\/+$/, '') + '/';
  const api = (path) => base + 'api/' + path;

  const $ = (id) => document.getElementById(id);

  // An element with attributes and children; strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === 'class') node.className = value;
      else if (name === 'onclick') node.addEventListener('click', value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const serverLink = (id) => el('a', { href: '#/server/' + encodeURIComponent(id) }, id);

  function bytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
    return (n / (1024 * 1024)).toFixed(1) + ' MiB';
  }

  function seconds(d) {
    const s = d.secs + d.nanos / 1e9;
    if (s < 60) return s.toFixed(1) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.floor(s % 60) + ' s';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
    return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
  }

  const count = (n) => Number(n).toLocaleString('en-US');

  function unavailable(what) {
    return el('p', { class: 'unavailable' },
      'Not available in this version: the dashboard does not show ' + what + ' yet.');
  }

  function problem(text) {
    const node = $('problem');
    node.hidden = !text;
    node.textContent = text || '';
  }

  // Fetches JSON; returns the value, its size in bytes and the time taken.
  async function getJson(path, options) {
    const started = performance.now();
    const response = await fetch(api(path), Object.assign({ cache: 'no-store' }, options));
    const text = await response.text();
    if (!response.ok) {
      let message = response.status + ' ' + response.statusText;
      try { message = JSON.parse(text).error || message; } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    return { value: text ? JSON.parse(text) : null, size: text.length, ms: performance.now() - started };
  }

  // ---- state -------------------------------------------------------------

  let overview = null;
  const table = { sort: 'mailbox', order: '', filter: '', type: '', limit: '100' };
  let timer = null;

  function route() {
    const hash = location.hash.replace(/^#\/?/, '');
    const [path, search] = hash.split('?');
    const params = new URLSearchParams(search || '');
    if (path.startsWith('server/')) return { view: 'server', id: decodeURIComponent(path.slice(7)) };
    // `#/nodes`, `#/nodes/<node>`, `#/nodes/<node>/server/<id>`: nodes.js reads the rest.
    if (path === 'nodes' || path.startsWith('nodes/')) return { view: 'nodes', path: path.slice(6), params };
    const view = ['tree', 'crashes'].includes(path) ? path : 'processes';
    return { view, params };
  }

  // ---- processes ---------------------------------------------------------

  function tableQuery() {
    const q = new URLSearchParams();
    q.set('sort', table.sort);
    if (table.order) q.set('order', table.order);
    if (table.filter) q.set('filter', table.filter);
    if (table.type) q.set('type', table.type);
    q.set('limit', table.limit);
    return q;
  }

  function stateCell(row) {
    const text = row.run_state === 'Running' ? (row.current ? 'in ' + row.current : 'waiting') : row.run_state;
    return el('td', { class: 'state state-' + row.run_state.toLowerCase() }, text);
  }

  function mailboxCell(row) {
    const m = row.mailbox;
    const cell = el('td', { class: 'num mailbox' }, count(m.len));
    if (m.capacity !== null) cell.append(el('small', {}, ' / ' + count(m.capacity)));
    if (m.dropped > 0) cell.append(el('small', { class: 'dropped' }, ' (' + count(m.dropped) + ' dropped)'));
    return cell;
  }

  // `link` makes a server's id a link: to this program's server view by
  // default, to a node's in the Nodes view.
  function processRow(row, link = serverLink) {
    const handled = row.handled.calls + row.handled.casts + row.handled.infos;
    const rate = row.messages_per_sec === null ? '…' : row.messages_per_sec.toFixed(1);
    const tr = el('tr', { 'data-id': row.id },
      el('td', { class: 'id' }, link(row.id)),
      el('td', { class: 'type' }, row.type_name),
      el('td', { class: 'names' }, row.names.join(', ')),
      stateCell(row),
      mailboxCell(row),
      el('td', { class: 'num rate' }, rate),
      el('td', { class: 'num handled', title: row.handled.calls + ' calls, ' + row.handled.casts + ' casts, ' + row.handled.infos + ' infos' }, count(handled)),
      el('td', { class: 'num memory' }, bytes(row.memory)),
      el('td', { class: 'num uptime' }, seconds(row.uptime)));
    return tr;
  }

  function drawTypes(types) {
    const select = $('type');
    const keep = table.type;
    const options = [el('option', { value: '' }, 'all types')];
    let found = false;
    for (const t of types) {
      const option = el('option', { value: t.name }, t.name + ' (' + count(t.count) + ')');
      if (t.name === keep) { option.selected = true; found = true; }
      options.push(option);
    }
    if (keep && !found) options.push(el('option', { value: keep, selected: '' }, keep + ' (0)'));
    select.replaceChildren(...options);
  }

  function drawHeaders(page) {
    for (const th of document.querySelectorAll('#processes th[data-sort]')) {
      const on = th.dataset.sort === page.sort;
      th.classList.toggle('sorted', on);
      th.setAttribute('aria-sort', on ? (page.order === 'asc' ? 'ascending' : 'descending') : 'none');
      th.dataset.arrow = on ? (page.order === 'asc' ? '▲' : '▼') : '';
    }
  }

  async function refreshProcesses() {
    const started = performance.now();
    const got = await getJson('processes?' + tableQuery());
    const page = got.value;
    $('processes').tBodies[0].replaceChildren(...page.rows.map((row) => processRow(row)));
    drawTypes(page.types);
    drawHeaders(page);
    $('matched').textContent = 'showing ' + count(page.rows.length) + ' of ' + count(page.matched) +
      (page.matched === page.total ? '' : ' matching') + ' servers';
    $('summary').textContent = count(page.total) + ' servers';
    $('timing').textContent = 'server ' + page.took_ms.toFixed(1) + ' ms · ' + (got.size / 1024).toFixed(1) +
      ' KiB JSON · fetched and drawn in ' + (performance.now() - started).toFixed(0) + ' ms';
    document.body.dataset.drawn = 'processes';
  }

  function setupProcesses() {
    const filter = $('filter');
    let typing = null;
    filter.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => { table.filter = filter.value.trim(); saveTable(); }, 250);
    });
    $('type').addEventListener('change', (e) => { table.type = e.target.value; saveTable(); });
    $('limit').addEventListener('change', (e) => { table.limit = e.target.value; saveTable(); });
    $('controls').addEventListener('submit', (e) => e.preventDefault());
    for (const th of document.querySelectorAll('#processes th[data-sort]')) {
      th.addEventListener('click', () => {
        const key = th.dataset.sort;
        if (table.sort === key) {
          const current = table.order || (key === 'id' ? 'asc' : 'desc');
          table.order = current === 'asc' ? 'desc' : 'asc';
        } else {
          table.sort = key;
          table.order = '';
        }
        saveTable();
      });
    }
  }

  // The table's settings live in the address, so a view can be shared.
  function saveTable() {
    const q = tableQuery();
    if (q.get('limit') === '100') q.delete('limit');
    location.hash = '#/processes?' + q;
  }

  function loadTable(params) {
    table.sort = params.get('sort') || 'mailbox';
    table.order = params.get('order') || '';
    table.filter = params.get('filter') || '';
    table.type = params.get('type') || '';
    table.limit = params.get('limit') || '100';
    if ($('filter') !== document.activeElement) $('filter').value = table.filter;
    $('limit').value = table.limit;
  }

  // ---- one server --------------------------------------------------------

  function entry(list, term, ...values) {
    list.append(el('dt', {}, term), el('dd', {}, ...values));
  }

  function idList(ids, link = serverLink) {
    if (ids === null) return [el('em', {}, 'did not answer in time')];
    if (ids.length === 0) return ['none'];
    const out = [];
    ids.forEach((id, i) => { if (i > 0) out.push(', '); out.push(link(id)); });
    return out;
  }

  async function act(id, action) {
    try {
      await getJson('servers/' + encodeURIComponent(id) + '/' + action, {
        method: 'POST', headers: { 'x-genserver-dashboard': action },
      });
      problem('');
    } catch (error) {
      problem(action + ' failed: ' + error.message);
    }
    refresh();
  }

  function drawActions(id, status, allowed) {
    const box = $('server-actions');
    box.hidden = !allowed;
    if (!allowed) { box.replaceChildren(); return; }
    const suspended = status.run_state === 'Suspended';
    const buttons = [
      el('button', { type: 'button', onclick: () => act(id, suspended ? 'resume' : 'suspend') }, suspended ? 'Resume' : 'Suspend'),
      el('button', { type: 'button', class: 'danger', onclick: () => { if (confirm('Kill ' + id + '?')) act(id, 'kill'); } }, 'Kill'),
    ];
    if (overview && overview.sections.trace) {
      buttons.push(
        el('button', { type: 'button', onclick: () => act(id, 'trace?n=' + TRACE_NEXT) }, 'Trace next ' + TRACE_NEXT + ' messages'),
        el('button', { type: 'button', onclick: () => act(id, 'trace?n=0') }, 'Trace off'));
    }
    box.replaceChildren(...buttons);
  }

  // A duration's mean over `n` runs, as `seconds` shows it but finer.
  function took(d, n) {
    const s = (d.secs + d.nanos / 1e9) / (n || 1);
    if (s < 1e-3) return (s * 1e6).toFixed(1) + ' µs';
    if (s < 1) return (s * 1e3).toFixed(2) + ' ms';
    return s.toFixed(2) + ' s';
  }

  function handlerRow(name, time) {
    return el('tr', {},
      el('td', {}, name),
      el('td', { class: 'num' }, count(time.count)),
      el('td', { class: 'num' }, took(time.total, 1)),
      el('td', { class: 'num' }, took(time.total, time.count)),
      el('td', { class: 'num' }, took(time.max, 1)));
  }

  // `sys().statistics()`: the counts always kept, the handlers' time once
  // timing is on.
  function drawStatistics(stats) {
    if (!stats) return el('p', {}, 'The server exited.');
    const list = el('dl', { id: 'server-statistics-list' });
    entry(list, 'Messages in', count(stats.handled.calls) + ' calls, ' + count(stats.handled.casts) +
      ' casts, ' + count(stats.handled.infos) + ' infos');
    entry(list, 'Mailbox high-water', count(stats.mailbox_high_water) + ' messages');
    if (!stats.timing) {
      entry(list, 'Time in handlers', 'not collected (sys().collect_statistics(true) turns it on)');
      return list;
    }
    const all = stats.timing.all;
    entry(list, 'Time in handlers', took(all.total, 1) + ' in ' + count(all.count) + ' runs, mean ' +
      took(all.total, all.count) + ', longest ' + took(all.max, 1));
    const table = el('table', { id: 'server-handlers' },
      el('thead', {}, el('tr', {},
        el('th', {}, 'Handler'), el('th', { class: 'num' }, 'Runs'), el('th', { class: 'num' }, 'Total'),
        el('th', { class: 'num' }, 'Mean'), el('th', { class: 'num' }, 'Longest'))),
      el('tbody', {}, ...stats.timing.handlers.map(([name, time]) => handlerRow(name, time))));
    const box = el('div', {}, list, table);
    return box;
  }

  // How many messages the page's trace button keeps.
  const TRACE_NEXT = 20;

  function outcome(o) {
    if (typeof o === 'string') return o === 'Returned' ? 'returned' : o.toLowerCase();
    if (o && 'Panicked' in o) return 'panicked: ' + o.Panicked;
    return JSON.stringify(o);
  }

  // `sys().traced()`: each message handled since the trace was turned on.
  function drawTrace(events, actions) {
    if (!events || events.length === 0) {
      return el('p', { class: 'none' }, 'No trace: tracing is off, or no message came since it was turned on' +
        (actions ? ' (the "Trace next ' + TRACE_NEXT + ' messages" button turns it on).' : ' (sys().trace(n) turns it on).'));
    }
    return el('table', { id: 'server-trace-table' },
      el('thead', {}, el('tr', {},
        el('th', {}, 'When'), el('th', {}, 'Kind'), el('th', {}, 'Handler'), el('th', {}, 'Message'),
        el('th', {}, 'Reply'), el('th', { class: 'num' }, 'Took'), el('th', {}, 'Outcome'))),
      el('tbody', {}, ...events.map((e) => el('tr', {},
        el('td', {}, when(e.at.secs_since_epoch * 1000 + Math.floor(e.at.nanos_since_epoch / 1e6))),
        el('td', {}, String(e.kind).toLowerCase()),
        el('td', {}, e.handler),
        el('td', { class: 'reason' }, e.message === null ? '' : e.message),
        el('td', { class: 'reason' }, e.reply === null ? '' : e.reply),
        el('td', { class: 'num' }, took(e.duration, 1)),
        el('td', { class: 'reason' }, outcome(e.outcome))))));
  }

  async function refreshServer(id) {
    let got;
    try {
      got = await getJson('servers/' + encodeURIComponent(id));
    } catch (error) {
      $('server-title').textContent = id;
      $('server-status').replaceChildren(el('dt', {}, 'Gone'), el('dd', {}, error.message));
      $('server-relations').replaceChildren();
      $('server-state').textContent = '';
      drawActions(id, {}, false);
      document.body.dataset.drawn = 'server';
      return;
    }
    const status = got.value.status;
    $('server-title').textContent = status.type_name + ' ' + status.id +
      (status.names.length ? ' (' + status.names.join(', ') + ')' : '');
    const list = $('server-status');
    list.replaceChildren();
    entry(list, 'Run state', status.run_state);
    entry(list, 'Running now', status.current || 'waiting for a message');
    entry(list, 'Mailbox', count(status.mailbox.len) + ' waiting' +
      (status.mailbox.capacity === null ? ', unbounded' : ' of ' + count(status.mailbox.capacity)) +
      ', ' + count(status.mailbox.dropped) + ' dropped');
    entry(list, 'Handled', count(status.handled.calls) + ' calls, ' + count(status.handled.casts) +
      ' casts, ' + count(status.handled.infos) + ' infos');
    const dropped = got.value.dead_letters.filter((d) => d.count > 0);
    entry(list, 'Dead letters', dropped.length === 0 ? 'none'
      : dropped.map((d) => d.reason + ' ' + count(d.count)).join(', '));
    entry(list, 'Uptime', seconds(status.uptime));
    entry(list, 'Parent', ...(status.parent ? [serverLink(status.parent)] : ['none']));
    const relations = $('server-relations');
    relations.replaceChildren();
    entry(relations, 'Links', ...idList(status.links));
    entry(relations, 'Monitored by', ...idList(status.monitored_by));
    entry(relations, 'Monitors', ...idList(status.monitors));
    $('server-state').textContent = status.state === null
      ? '(no state shown: the server did not answer in time, or has no Debug nor format_status)'
      : status.state;
    drawActions(status.id, status, got.value.actions);
    const sections = overview ? overview.sections : {};
    $('server-statistics').replaceChildren(sections.statistics
      ? drawStatistics(got.value.statistics) : unavailable('per-server statistics'));
    $('server-trace').replaceChildren(sections.trace
      ? drawTrace(got.value.trace, got.value.actions) : unavailable('traces'));
    $('timing').textContent = (got.size / 1024).toFixed(1) + ' KiB JSON in ' + got.ms.toFixed(0) + ' ms';
    document.body.dataset.drawn = 'server';
  }

  // ---- crashes and dead letters ------------------------------------------

  function when(ms) {
    const d = new Date(ms);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  function crashRow(crash) {
    return el('tr', { 'data-id': crash.id },
      el('td', { class: 'when' }, when(crash.at_unix_ms)),
      el('td', { class: 'id' }, serverLink(crash.id)),
      el('td', { class: 'type' }, crash.type_name),
      el('td', { class: 'handler' }, crash.handler),
      el('td', { class: 'reason' }, crash.reason),
      el('td', { class: 'where' }, crash.location || ''),
      el('td', { class: 'crash-state' }, el('code', {}, crash.state === null ? '' : crash.state)));
  }

  async function refreshFailures() {
    const got = await getJson('failures');
    const f = got.value;
    if (f.crashes.length === 0) {
      $('crashes').replaceChildren(el('p', { class: 'none' },
        'No crash since the program started (the latest ' + f.crashes_kept + ' are kept).'));
    } else {
      const head = el('tr', {}, ...['When', 'Server', 'Type', 'Handler', 'Reason', 'Where', 'State'].map((h) => el('th', {}, h)));
      $('crashes').replaceChildren(
        el('p', { class: 'note' }, 'The latest ' + f.crashes.length + ' (of at most ' + f.crashes_kept + ' kept), the latest first.'),
        el('table', { id: 'crash-table' }, el('thead', {}, head), el('tbody', {}, ...f.crashes.map(crashRow))));
    }
    const letters = f.dead_letters.map((d) => el('tr', {},
      el('td', { class: 'reason' }, d.reason), el('td', { class: 'num count' }, count(d.count))));
    $('dead-letters').replaceChildren(
      el('p', { class: 'note' }, count(f.dead_letters_total) + ' messages dropped in all, by reason:'),
      el('table', { id: 'dead-letter-table' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Reason'), el('th', { class: 'num' }, 'Messages'))),
        el('tbody', {}, ...letters)));
    $('timing').textContent = (got.size / 1024).toFixed(1) + ' KiB JSON in ' + got.ms.toFixed(0) + ' ms';
    document.body.dataset.drawn = 'crashes';
  }

  // ---- the supervision trees --------------------------------------------

  const statusNames = { Running: 'running', Restarting: 'restarting', BackingOff: 'backing off', Stopped: 'stopped' };

  function childLine(child, link) {
    const status = statusNames[child.status] || String(child.status);
    const parts = [el('span', { class: 'child-id' }, child.id), ': '];
    if (child.server) parts.push(child.type_name + ' ', link(child.server));
    else parts.push(el('em', {}, 'no server'));
    parts.push(' · ' + String(child.kind).toLowerCase() + ' · ' + String(child.restart).toLowerCase() + ' · ',
      el('span', { class: 'child-status status-' + status.replace(' ', '-') }, status),
      ' · ' + count(child.restarts) + (child.restarts === 1 ? ' restart' : ' restarts'));
    return parts;
  }

  // A supervisor's children, each a list item; a supervisor child opens
  // and closes (a <details> element: no script needed to expand it).
  function childList(tree, link = serverLink) {
    const list = el('ul', { class: 'tree' });
    if (!tree.answered) {
      list.append(el('li', { class: 'note' }, 'did not answer in time: its children are not known'));
      return list;
    }
    for (const child of tree.children) {
      if (child.subtree) {
        list.append(el('li', { 'data-child': child.id },
          el('details', { open: '' }, el('summary', {}, ...childLine(child, link)), childList(child.subtree, link))));
      } else {
        list.append(el('li', { 'data-child': child.id }, ...childLine(child, link)));
      }
    }
    if (tree.children_total > tree.children.length) {
      list.append(el('li', { class: 'note' },
        count(tree.children_total - tree.children.length) + ' more children not shown (' +
        count(tree.children_total) + ' in all)'));
    }
    return list;
  }

  // The trees of an `api/trees` answer (or a node's) into `box`.
  function drawTrees(box, answer, link = serverLink) {
    const trees = answer.trees;
    if (trees.length === 0) {
      box.replaceChildren(el('p', { class: 'none' }, 'No supervisor runs in this program.'));
    } else {
      box.replaceChildren(...trees.map((tree) => el('details', { open: '', class: 'tree-root', 'data-root': tree.id },
        el('summary', {}, tree.type_name + ' ', link(tree.id),
          ' · ' + count(tree.children_total) + (tree.children_total === 1 ? ' child' : ' children')),
        childList(tree, link))));
      if (answer.total > trees.length) {
        box.append(el('p', { class: 'note' }, count(answer.total - trees.length) + ' more trees not shown'));
      }
    }
  }

  async function refreshTrees() {
    const got = await getJson('trees');
    drawTrees($('tree'), got.value);
    $('timing').textContent = (got.size / 1024).toFixed(1) + ' KiB JSON in ' + got.ms.toFixed(0) + ' ms';
    document.body.dataset.drawn = 'tree';
  }

  // ---- the sections this version does not feed yet ---------------------

  function drawUnavailable(view) {
    if (view === 'nodes') {
      $('nodes').replaceChildren(el('p', { class: 'unavailable' },
        'Not available: this dashboard was given no NATS node (DashboardOptions::node, with its nats feature).'));
      $('node-detail').hidden = true;
    }
    document.body.dataset.drawn = view;
  }

  // ---- the loop ----------------------------------------------------------

  function show(view) {
    for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== 'view-' + view;
    for (const link of document.querySelectorAll('nav a')) {
      link.classList.toggle('current', link.dataset.view === view || (view === 'server' && link.dataset.view === 'processes'));
    }
  }

  async function refresh() {
    clearTimeout(timer);
    const where = route();
    show(where.view);
    try {
      if (where.view === 'processes') await refreshProcesses();
      else if (where.view === 'server') await refreshServer(where.id);
      else if (where.view === 'crashes') await refreshFailures();
      else if (where.view === 'tree') await refreshTrees();
      else if (where.view === 'nodes' && overview && overview.sections.nodes && views.nodes) await views.nodes(where);
      else drawUnavailable(where.view);
      problem('');
    } catch (error) {
      problem('Could not read the dashboard: ' + error.message);
    }
    const every = overview ? overview.refresh_ms : 1000;
    if (['processes', 'server', 'crashes', 'nodes'].includes(where.view)) timer = setTimeout(refresh, every);
  }

  async function start() {
    setupProcesses();
    try {
      overview = (await getJson('overview')).value;
      $('version').textContent = 'genserver-dashboard ' + overview.version +
        (overview.actions ? ' · actions enabled' : ' · read-only');
    } catch (error) {
      problem('Could not read the dashboard: ' + error.message);
    }
    window.addEventListener('hashchange', () => {
      const where = route();
      if (where.view === 'processes') loadTable(where.params);
      refresh();
    });
    const where = route();
    if (where.view === 'processes') loadTable(where.params);
    refresh();
  }

  // What nodes.js (the Nodes view) uses of this script, and where it
  // puts its view.
  const views = {};
  window.GenserverDashboard = Object.freeze({
    el, $, count, bytes, seconds, getJson, entry, idList, processRow, drawTrees, views,
  });

  // Once every deferred script (nodes.js) has run.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
