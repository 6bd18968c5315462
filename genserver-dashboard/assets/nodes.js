// The Nodes view: the cluster's nodes (api/nodes), and for the node
// selected its process table, its supervision trees or one of its
// servers, each read over NATS from that node's `sys` subject. It uses
// app.js's helpers; every value goes into the page as text, as there.
'use strict';

(function () {
  const ui = window.GenserverDashboard;
  const { el, $, count, getJson } = ui;
  const enc = encodeURIComponent;

  // `#/nodes/<node>[/server/<id>]`, read from app.js's route.
  function parse(where) {
    const parts = where.path ? where.path.split('/') : [];
    const node = parts[0] ? decodeURIComponent(parts[0]) : null;
    const id = parts[1] === 'server' && parts.length > 2 ? decodeURIComponent(parts.slice(2).join('/')) : null;
    return { node, id, params: where.params };
  }

  const nodeHref = (node) => '#/nodes/' + enc(node);
  // A server of `node`: its status, in this view.
  const linkOn = (node) => (id) => el('a', { href: nodeHref(node) + '/server/' + enc(id) }, id);

  async function drawList(selected) {
    const got = await getJson('nodes');
    const list = got.value.nodes.map((n) => el('li', { 'data-node': n.name, class: n.name === selected ? 'current' : '' },
      el('a', { href: nodeHref(n.name) }, n.name), n.this ? ' (this dashboard\'s node)' : ''));
    $('nodes').replaceChildren(
      el('p', { class: 'note' }, count(got.value.nodes.length) + (got.value.nodes.length === 1 ? ' node' : ' nodes') +
        ' in the cluster, as node ' + got.value.this + ' hears them. Select one to see what runs on it.'),
      el('ul', { id: 'node-list', class: 'node-list' }, ...list));
  }

  function nodeProblem(text) {
    $('node-problem').hidden = !text;
    $('node-problem').textContent = text || '';
  }

  function drawHeaders(node, page) {
    for (const th of document.querySelectorAll('#node-processes th[data-sort]')) {
      const on = th.dataset.sort === page.sort;
      th.classList.toggle('sorted', on);
      th.dataset.arrow = on ? (page.order === 'asc' ? '▲' : '▼') : '';
      // Sorting is a link: the node's view with another column.
      const order = on ? (page.order === 'asc' ? 'desc' : 'asc') : '';
      th.onclick = () => {
        const q = new URLSearchParams({ sort: th.dataset.sort });
        if (order) q.set('order', order);
        location.hash = nodeHref(node) + '?' + q;
      };
    }
  }

  async function drawNode(node, params) {
    const q = new URLSearchParams();
    for (const name of ['sort', 'order', 'filter', 'type', 'limit']) {
      if (params.get(name)) q.set(name, params.get(name));
    }
    const base = 'nodes/' + enc(node) + '/';
    const [processes, trees] = await Promise.all([getJson(base + 'processes?' + q), getJson(base + 'trees')]);
    const page = processes.value;
    const link = linkOn(node);
    $('node-processes').tBodies[0].replaceChildren(...page.rows.map((row) => {
      const tr = ui.processRow(row, link);
      // A node keeps no rates between questions: none to show.
      const rate = tr.querySelector('.rate');
      rate.textContent = '–';
      rate.title = 'a node keeps no rates: its own dashboard has them';
      return tr;
    }));
    drawHeaders(node, page);
    $('node-matched').textContent = 'showing ' + count(page.rows.length) + ' of ' + count(page.matched) +
      (page.matched === page.total ? '' : ' matching') + ' servers of node ' + page.node +
      ' (read there in ' + page.took_ms.toFixed(1) + ' ms)';
    ui.drawTrees($('node-trees'), trees.value, link);
    $('timing').textContent = ((processes.size + trees.size) / 1024).toFixed(1) + ' KiB JSON over NATS in ' +
      Math.max(processes.ms, trees.ms).toFixed(0) + ' ms';
  }

  async function drawServer(node, id) {
    const got = await getJson('nodes/' + enc(node) + '/servers/' + enc(id));
    const status = got.value.status;
    const link = linkOn(node);
    $('node-server-title').textContent = status.type_name + ' ' + status.id + ' on ' + got.value.node +
      (status.names.length ? ' (' + status.names.join(', ') + ')' : '');
    const list = $('node-server-status');
    list.replaceChildren();
    ui.entry(list, 'Run state', status.run_state);
    ui.entry(list, 'Running now', status.current || 'waiting for a message');
    ui.entry(list, 'Mailbox', count(status.mailbox.len) + ' waiting, ' + count(status.mailbox.dropped) + ' dropped');
    ui.entry(list, 'Handled', count(status.handled.calls) + ' calls, ' + count(status.handled.casts) +
      ' casts, ' + count(status.handled.infos) + ' infos');
    ui.entry(list, 'Uptime', ui.seconds(status.uptime));
    ui.entry(list, 'Parent', ...(status.parent ? [link(status.parent)] : ['none']));
    ui.entry(list, 'Links', ...ui.idList(status.links, link));
    ui.entry(list, 'Monitors', ...ui.idList(status.monitors, link));
    $('node-server-state').textContent = status.state === null
      ? '(no state shown: the server did not answer in time, or has no Debug nor format_status)'
      : status.state;
    $('timing').textContent = (got.size / 1024).toFixed(1) + ' KiB JSON over NATS in ' + got.ms.toFixed(0) + ' ms';
  }

  ui.views.nodes = async function (where) {
    const { node, id, params } = parse(where);
    await drawList(node);
    const detail = $('node-detail');
    detail.hidden = !node;
    if (!node) {
      document.body.dataset.drawn = 'nodes';
      return;
    }
    $('node-title').textContent = 'Node ' + node;
    $('node-server').hidden = !id;
    $('node-table').hidden = !!id;
    try {
      if (id) await drawServer(node, id);
      else await drawNode(node, params);
      nodeProblem('');
    } catch (error) {
      nodeProblem('Could not read node ' + node + ': ' + error.message);
    }
    document.body.dataset.drawn = id ? 'node-server' : 'node';
  };
})();
