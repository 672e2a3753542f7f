/*
 * The Triggers console: a client of the public /v1 API and nothing else.
 *
 * Security model:
 * - The API key lives in this tab's sessionStorage only, and leaves it only as the Authorization
 *   header of /v1 calls to this origin: never in a URL, a cookie or a log. Signing out forgets it.
 * - Everything shown comes from the API, and much of it (payloads, sources, metadata, response
 *   excerpts, errors) is attacker-controlled: it is put into the page as text only, through
 *   el()/textContent, never parsed as HTML (no DOM call that parses markup is used anywhere:
 *   the api's ConsoleAssetsTest checks), and never used as a link target.
 * - The page runs under a Content-Security-Policy without 'unsafe-inline' or other origins, so
 *   even a missed escape could not run a script.
 * Routing is by the URL fragment (#/events/<id>); a fragment never holds a secret.
 */
(() => {
  'use strict';

  const KEY = 'triggers.console.key';
  const $ = (id) => document.getElementById(id);
  let seq = 0;
  let leaving = [];

  // ---------------------------------------------------------------- DOM, text only

  /** An element with properties and children; strings become text nodes, never markup. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
      else if (name === 'class') node.className = value;
      else if (name === 'value' || name === 'checked' || name === 'disabled' || name === 'selected') node[name] = value;
      else if (name === 'href') node.setAttribute('href', internalHref(value));
      else if (name === 'style' || name.startsWith('on')) throw new Error('refused attribute ' + name);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    add(node, children);
    return node;
  }

  function add(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Links only ever point inside the console: data never becomes a link target. */
  function internalHref(value) {
    const href = String(value);
    if (!href.startsWith('#/')) throw new Error('refused link target');
    return href;
  }

  const link = (path, text, props) => el('a', Object.assign({ href: '#/' + path }, props || {}), text);
  const text = (value) => (value === null || value === undefined || value === '' ? '—' : String(value));
  const statusBadge = (status) => el('span', { class: 'status ' + String(status).replace(/[^a-z_]/g, '') }, text(status));
  const pretty = (value) => (value === undefined ? '' : JSON.stringify(value, null, 2));
  const pre = (value, props) => el('pre', props, value);
  const table = (head, rows, props) => el('div', { class: 'table-wrap' },
    el('table', props, el('thead', null, el('tr', null, head.map((h) => el('th', null, h)))), el('tbody', null, rows)));
  const td = (value, props) => el('td', props, value instanceof Node ? value : text(value));

  function when(iso) {
    if (!iso) return '—';
    const date = new Date(iso);
    return isNaN(date) ? String(iso) : date.toLocaleString();
  }

  /** A <time> showing local time, with the exact value on hover. */
  const time = (iso) => (iso ? el('time', { datetime: iso, title: iso }, when(iso)) : '—');

  function field(label, input, hint) {
    return el('label', null, label, input, hint ? el('span', { class: 'hint' }, hint) : null);
  }

  /** datetime-local value (the user's time) to RFC 3339 UTC, or undefined when empty. */
  function isoOf(localValue) {
    if (!localValue) return undefined;
    const date = new Date(localValue);
    if (isNaN(date)) throw new Error('not a date: ' + localValue);
    return date.toISOString();
  }

  function localInputValue(date) {
    const pad = (n) => String(n).padStart(2, '0');
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T' + pad(date.getHours()) + ':' + pad(date.getMinutes());
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, error) {
      super((error && error.message) || 'HTTP ' + status);
      this.status = status;
      this.code = error && error.code;
      this.details = (error && Array.isArray(error.details) && error.details) || [];
    }
  }

  async function api(method, path, body) {
    const key = sessionStorage.getItem(KEY);
    const init = {
      method,
      headers: { Authorization: 'Bearer ' + key, Accept: 'application/json' },
      cache: 'no-store', credentials: 'omit', redirect: 'error',
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const raw = await response.text();
    let data = null;
    if (raw) {
      try { data = JSON.parse(raw); } catch (e) { data = null; }
    }
    if (response.status === 401 && path !== '/v1/me') {
      signOut('The key was refused (revoked or expired). Sign in again.');
    }
    if (!response.ok) throw new ApiError(response.status, data && data.error);
    return data;
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== '') search.set(name, value);
    }
    const s = search.toString();
    return s ? '?' + s : '';
  }

  const segment = (id) => encodeURIComponent(id);

  /** An error as the page shows it: the message and each detail (field: issue). */
  function problem(error) {
    const box = el('div', { class: 'error', role: 'alert' }, error.message || String(error));
    if (error.details && error.details.length) {
      add(box, [el('ul', { class: 'issues' }, error.details.map((d) =>
        el('li', null, (d.field ? d.field + ': ' : '') + (d.issue || '') + (d.message ? ' — ' + d.message : ''))))]);
    }
    return box;
  }

  let flashedAt = 0;

  function flash(message, bad) {
    const box = $('flash');
    flashedAt = Date.now();
    box.replaceChildren(...(message instanceof Node ? [message] : [String(message)]));
    box.classList.toggle('bad', !!bad);
    box.hidden = false;
  }

  /** Runs a button's action with the button disabled; a failure is shown in the flash line. */
  async function run(button, action) {
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      flash(error.details && error.details.length ? problem(error) : 'Failed: ' + error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  function button(label, action, props) {
    const b = el('button', Object.assign({ type: 'button' }, props || {}), label);
    b.addEventListener('click', () => run(b, action));
    return b;
  }

  /** A destructive action takes two clicks (no modal dialog): the first arms it for 5 s. */
  function confirmButton(label, confirmLabel, action, props) {
    const b = el('button', Object.assign({ type: 'button', class: 'danger' }, props || {}), label);
    let armed = null;
    b.addEventListener('click', () => {
      if (!armed) {
        b.textContent = confirmLabel;
        armed = setTimeout(() => { armed = null; b.textContent = label; }, 5000);
        return;
      }
      clearTimeout(armed);
      armed = null;
      b.textContent = label;
      run(b, action);
    });
    return b;
  }

  // ---------------------------------------------------------------- charts (uPlot)

  const COLORS = { ingested: '#2457c5', delivered: '#1d7a3a', failed: '#c77700', dead: '#b3261e', latency: '#6a3fb5' };

  /**
   * A time chart in container once it is in the page; xs in epoch seconds. The x axis spans
   * [from, to] when given (the window asked for, however sparse the series), else the data with
   * at least 10 minutes around a lone point.
   */
  function chart(ctx, container, names, xs, columns, from, to) {
    ctx.mounted.push(() => {
      if (typeof window.uPlot !== 'function') {
        container.replaceChildren(el('p', { class: 'muted' }, 'Chart library not loaded.'));
        return;
      }
      const width = Math.max(260, Math.min(container.clientWidth || 600, 1100));
      const plot = new window.uPlot({
        width, height: 220,
        series: [{}].concat(names.map((name) => ({ label: name, stroke: COLORS[name] || '#555', width: 2, points: { show: xs.length < 60 } }))),
        scales: { x: { time: true, range: (u, min, max) => (from !== undefined ? [from, to]
          : (max - min < 600 ? [min - 300, max + 300] : [min, max])) } },
        axes: [{}, { size: 50 }],
      }, [xs].concat(columns), container);
      leaving.push(() => plot.destroy());
    });
    return container;
  }

  // ---------------------------------------------------------------- views

  async function overview(ctx) {
    const now = Date.now();
    const until = new Date(now).toISOString();
    const [hour, day, endpointList] = await Promise.all([
      api('GET', '/v1/stats' + query({ since: new Date(now - 3600e3).toISOString(), until, interval: 'minute' })),
      api('GET', '/v1/stats' + query({ since: new Date(now - 86400e3).toISOString(), until, interval: 'minute' })),
      api('GET', '/v1/endpoints'),
    ]);
    const sum = (stats, name) => stats.series.reduce((total, point) => total + (point[name] || 0), 0);
    const rate = (stats) => {
      const delivered = sum(stats, 'delivered');
      const attempts = delivered + sum(stats, 'failed');
      return attempts ? (100 * delivered / attempts).toFixed(1) + ' %' : '—';
    };
    const stat = (label, value, id) => el('div', { class: 'stat' }, el('div', { class: 'value', id }, String(value)), el('div', { class: 'label' }, label));
    const seriesChart = (stats) => chart(ctx, el('div', { class: 'chart' }), ['ingested', 'delivered', 'failed', 'dead'],
      stats.series.map((p) => Date.parse(p.at) / 1000), ['ingested', 'delivered', 'failed', 'dead'].map((n) => stats.series.map((p) => p[n] || 0)),
      Date.parse(stats.since) / 1000, Date.parse(stats.until) / 1000);

    const endpoints = endpointList.endpoints || [];
    const troubled = el('div', null, el('p', { class: 'muted' }, 'Checking endpoints…'));
    checkEndpoints(endpoints, troubled);

    return el('div', null,
      el('div', { class: 'row' }, el('h1', null, 'Overview'), button('Refresh', () => route(), { class: 'secondary', id: 'overview-refresh' })),
      el('div', { class: 'grid' },
        stat('events ingested, last hour', sum(hour, 'ingested'), 'ingested-hour'),
        stat('events ingested, last 24 h', sum(day, 'ingested'), 'ingested-day'),
        stat('webhooks delivered / failed, last 24 h', sum(day, 'delivered') + ' / ' + sum(day, 'failed')),
        stat('success rate, last hour', rate(hour)),
        stat('success rate, last 24 h', rate(day)),
        el('div', { class: 'stat' }, el('div', { class: 'value', id: 'dead-letter-count' }, link('dead-letters', String(day.dead_letters))),
          el('div', { class: 'label' }, 'dead letters')),
        stat('endpoints enabled / failing / disabled', day.endpoints.enabled + ' / ' + day.endpoints.failing + ' / ' + day.endpoints.disabled, 'endpoint-counts')),
      el('div', { class: 'grid2' },
        el('section', { class: 'card' }, el('h2', null, 'Last hour, per minute'), seriesChart(hour)),
        el('section', { class: 'card' }, el('h2', null, 'Last 24 hours, per minute'), seriesChart(day))),
      el('section', { class: 'card' }, el('h2', null, 'Endpoints failing or disabled'), troubled));
  }

  /** Disabled endpoints, and enabled ones whose deliveries of the last hour are failing (from their stats). */
  async function checkEndpoints(endpoints, target) {
    const since = new Date(Date.now() - 3600e3).toISOString();
    const enabled = endpoints.filter((e) => e.enabled).slice(0, 50);
    const stats = await Promise.all(enabled.map((e) =>
      api('GET', '/v1/endpoints/' + segment(e.id) + '/stats' + query({ since })).catch(() => null)));
    const rows = [];
    for (const e of endpoints.filter((x) => !x.enabled)) {
      rows.push(el('tr', null, td(link('endpoints/' + segment(e.id), e.url)), td(statusBadge('disabled')), td(e.disabled_reason || 'disabled by hand', { class: 'wrap' })));
    }
    enabled.forEach((e, i) => {
      const s = stats[i];
      if (!s) return;
      const owed = s.deliveries.failed + s.deliveries.dead;
      if (owed > 0 || (s.failed > 0 && s.succeeded === 0)) {
        rows.push(el('tr', null, td(link('endpoints/' + segment(e.id), e.url)), td(statusBadge('failing')),
          td(s.failed + ' failed of ' + s.attempts + ' attempts in the last hour; ' + s.deliveries.failed + ' retrying, ' + s.deliveries.dead + ' dead', { class: 'wrap' })));
      }
    });
    target.replaceChildren(rows.length ? table(['Endpoint', 'State', 'Why'], rows, { id: 'troubled-endpoints' })
      : el('p', { class: 'muted' }, 'None: every endpoint is enabled and delivering.'));
  }

  const EVENT_STATUSES = ['', 'pending', 'delivered', 'failed', 'dead', 'acknowledged'];

  function eventsView(ctx) {
    const status = el('select', { name: 'status' }, EVENT_STATUSES.map((s) => el('option', { value: s }, s || 'any')));
    const type = el('input', { name: 'event_type', placeholder: 'order.created' });
    const source = el('input', { name: 'source' });
    const endpoint = el('input', { name: 'endpoint_id', placeholder: 'endpoint id', size: 36 });
    const after = el('input', { name: 'created_after', type: 'datetime-local' });
    const before = el('input', { name: 'created_before', type: 'datetime-local' });
    const order = el('select', { name: 'order' }, el('option', { value: 'desc' }, 'newest first'), el('option', { value: 'asc' }, 'oldest first'));
    const live = el('input', { type: 'checkbox', checked: true, id: 'events-live' });
    const body = el('tbody');
    const more = el('button', { type: 'button', class: 'secondary', id: 'events-more', hidden: true }, 'Load more');
    const error = el('div');
    let cursor = null;
    let pages = 0;

    const filters = () => ({
      status: status.value, event_type: type.value.trim(), source: source.value, endpoint_id: endpoint.value.trim(),
      created_after: isoOf(after.value), created_before: isoOf(before.value), order: order.value, limit: 50,
    });

    async function load(reset) {
      error.replaceChildren();
      try {
        const page = await api('GET', '/v1/events' + query(Object.assign(filters(), { cursor: reset ? null : cursor })));
        const rows = page.events.map((e) => el('tr', { 'data-event-id': e.event_id },
          td(time(e.created_at)), td(e.event_type, { class: 'wrap' }), td(e.source, { class: 'wrap' }), td(statusBadge(e.status)),
          td(link('events/' + segment(e.event_id), e.event_id, { class: 'mono' }))));
        if (reset) { body.replaceChildren(...rows); pages = 1; } else { add(body, rows); pages++; }
        if (!body.children.length) body.replaceChildren(el('tr', null, el('td', { colspan: 5, class: 'muted' }, 'No events match.')));
        cursor = page.next_cursor;
        more.hidden = !cursor;
      } catch (e) {
        error.replaceChildren(problem(e));
      }
    }

    const form = el('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); load(true); } },
      field('Status', status), field('Event type', type), field('Source', source), field('Endpoint', endpoint),
      field('Created after', after), field('Created before', before), field('Order', order),
      el('button', { type: 'submit', id: 'events-apply' }, 'Apply'),
      button('Refresh', () => load(true), { class: 'secondary', id: 'events-refresh' }),
      el('label', { class: 'check' }, live, ' live'));
    more.addEventListener('click', () => run(more, () => load(false)));
    // While "live" is on and only the first page is shown, it is fetched again every 3 s: new events appear.
    const timer = setInterval(() => { if (live.checked && pages <= 1 && document.visibilityState === 'visible') load(true); }, 3000);
    leaving.push(() => clearInterval(timer));
    ctx.mounted.push(() => load(true));

    return el('div', null, el('h1', null, 'Events'), form, error,
      el('div', { class: 'table-wrap' }, el('table', { id: 'events-table' },
        el('thead', null, el('tr', null, ['Created', 'Type', 'Source', 'Status', 'Event'].map((h) => el('th', null, h)))), body)),
      el('p', null, more));
  }

  async function eventPage(ctx, id) {
    const [event, attempts] = await Promise.all([
      api('GET', '/v1/events/' + segment(id)),
      api('GET', '/v1/events/' + segment(id) + '/attempts'),
    ]);
    const byEndpoint = new Map();
    for (const a of attempts.attempts) {
      if (!byEndpoint.has(a.endpoint_id)) byEndpoint.set(a.endpoint_id, []);
      byEndpoint.get(a.endpoint_id).push(a);
    }
    const deliveries = event.deliveries || [];
    for (const d of deliveries) if (!byEndpoint.has(d.endpoint_id)) byEndpoint.set(d.endpoint_id, []);

    const sections = [...byEndpoint.entries()].map(([endpointId, list]) => {
      const delivery = deliveries.find((d) => d.endpoint_id === endpointId);
      list.sort((a, b) => a.attempt - b.attempt);
      return el('section', { class: 'card delivery', 'data-endpoint-id': endpointId },
        el('div', { class: 'row' },
          el('h2', null, 'Endpoint ', link('endpoints/' + segment(endpointId), endpointId, { class: 'mono' })),
          delivery ? statusBadge(delivery.status) : null,
          button('Replay to this endpoint', async () => {
            const r = await api('POST', '/v1/events/' + segment(id) + '/replay', { endpoint_id: endpointId });
            flash('Replay queued (' + r.deliveries + ' delivery).');
          }, { class: 'secondary' })),
        delivery ? el('p', { class: 'muted' }, delivery.attempts + ' attempts; last ', time(delivery.last_attempt_at),
          delivery.last_status_code ? ' (' + delivery.last_status_code + ')' : '',
          delivery.next_attempt_at ? ['; next ', time(delivery.next_attempt_at)] : '') : null,
        list.length ? table(['#', 'At', 'Status code', 'Duration', 'Error', 'Response excerpt'], list.map((a) =>
          el('tr', { class: 'attempt', 'data-attempt-id': a.id },
            td(a.attempt), td(time(a.attempted_at)), td(a.status_code, { class: 'status-code' }), td(a.duration_ms + ' ms', { class: 'duration' }),
            td(a.error, { class: 'wrap error-text' }), el('td', { class: 'wrap' }, a.response_excerpt ? pre(a.response_excerpt, { class: 'excerpt' }) : '—'))))
          : el('p', { class: 'muted' }, 'No attempt yet.'));
    });

    return el('div', null,
      el('div', { class: 'row' }, el('h1', null, 'Event'),
        button('Replay', async () => {
          const r = await api('POST', '/v1/events/' + segment(id) + '/replay');
          flash('Replay queued (' + r.deliveries + ' deliveries).');
        }, { id: 'event-replay' }),
        button('Refresh', () => route(), { class: 'secondary' })),
      el('section', { class: 'card' }, el('dl', { class: 'meta', id: 'event-meta' },
        el('dt', null, 'ID'), el('dd', { class: 'mono' }, event.event_id),
        el('dt', null, 'Type'), el('dd', { id: 'event-type' }, event.event_type),
        el('dt', null, 'Source'), el('dd', { id: 'event-source' }, text(event.source)),
        el('dt', null, 'Status'), el('dd', { id: 'event-status' }, statusBadge(event.status)),
        el('dt', null, 'Created'), el('dd', null, time(event.created_at)),
        el('dt', null, 'Delivered'), el('dd', null, time(event.delivered_at)),
        el('dt', null, 'Acknowledged'), el('dd', null, time(event.acknowledged_at)))),
      el('div', { class: 'grid2' },
        el('section', { class: 'card' }, el('h2', null, 'Payload'), pre(pretty(event.payload), { id: 'event-payload' })),
        el('section', { class: 'card' }, el('h2', null, 'Metadata'), pre(pretty(event.metadata), { id: 'event-metadata' }))),
      el('h2', null, 'Deliveries and attempts'),
      sections.length ? sections : el('p', { class: 'muted' }, 'No endpoint matched this event (it waits for pull consumers).'));
  }

  async function endpointsView() {
    const list = await api('GET', '/v1/endpoints');
    const rows = list.endpoints.map((e) => el('tr', { 'data-endpoint-id': e.id },
      td(link('endpoints/' + segment(e.id), e.url), { class: 'wrap' }), td(e.description, { class: 'wrap' }),
      td((e.event_types || []).join(', ') || 'every event', { class: 'wrap' }),
      td(statusBadge(e.enabled ? 'enabled' : 'disabled')), td(time(e.created_at))));
    return el('div', null,
      el('div', { class: 'row' }, el('h1', null, 'Endpoints'), link('endpoints/new', 'New endpoint', { id: 'endpoint-new', class: 'button-link' })),
      rows.length ? table(['URL', 'Description', 'Event types', 'State', 'Created'], rows, { id: 'endpoints-table' })
        : el('p', { class: 'muted' }, 'No endpoint yet.'));
  }

  const csv = (value) => value.split(',').map((s) => s.trim()).filter(Boolean);

  function parseJson(label, value) {
    if (!value.trim()) return null;
    try {
      return JSON.parse(value);
    } catch (e) {
      throw Object.assign(new Error(label + ' is not valid JSON: ' + e.message), { details: [] });
    }
  }

  /** The endpoint form, for a new endpoint (original null) or an existing one (PATCH of what changed). */
  function endpointForm(original, onSaved) {
    const o = original || { enabled: true, max_in_flight: 16 };
    const inputs = {
      url: el('input', { name: 'url', value: o.url || '', required: true, placeholder: 'https://example.com/webhooks' }),
      description: el('input', { name: 'description', value: o.description || '' }),
      event_types: el('input', { name: 'event_types', value: (o.event_types || []).join(', '), placeholder: 'order.created, invoice.*' }),
      filter: el('textarea', { name: 'filter', value: o.filter ? pretty(o.filter) : '', placeholder: '{"data.amount": {"$gte": 100}}' }),
      headers: el('textarea', { name: 'headers', value: o.headers && Object.keys(o.headers).length ? pretty(o.headers) : '', placeholder: '{"Authorization": "Bearer …"}' }),
      retry_schedule: el('input', { name: 'retry_schedule', value: (o.retry_schedule || []).join(', '), placeholder: 'service default, e.g. 5s, 1m, 1h' }),
      rate_limit_per_second: el('input', { name: 'rate_limit_per_second', type: 'number', min: 1, value: o.rate_limit_per_second == null ? '' : o.rate_limit_per_second }),
      max_in_flight: el('input', { name: 'max_in_flight', type: 'number', min: 1, value: o.max_in_flight == null ? '' : o.max_in_flight }),
      enabled: el('input', { name: 'enabled', type: 'checkbox', checked: o.enabled !== false }),
    };
    const headersAsShown = inputs.headers.value;
    const errors = el('div');
    const values = () => ({
      url: inputs.url.value.trim(),
      description: inputs.description.value,
      event_types: csv(inputs.event_types.value),
      filter: parseJson('Filter', inputs.filter.value),
      headers: parseJson('Headers', inputs.headers.value) || {},
      retry_schedule: csv(inputs.retry_schedule.value).length ? csv(inputs.retry_schedule.value) : null,
      rate_limit_per_second: inputs.rate_limit_per_second.value === '' ? null : Number(inputs.rate_limit_per_second.value),
      max_in_flight: inputs.max_in_flight.value === '' ? undefined : Number(inputs.max_in_flight.value),
      enabled: inputs.enabled.checked,
    });
    const submit = el('button', { type: 'submit', id: 'endpoint-save' }, original ? 'Save changes' : 'Create endpoint');
    const form = el('form', { class: 'form', id: 'endpoint-form' },
      field('URL', inputs.url), field('Description', inputs.description),
      field('Event types', inputs.event_types, 'Comma-separated; empty = every event; prefix.* matches a prefix.'),
      field('Filter (JSON)', inputs.filter, 'Dotted paths into type, source, data, metadata; operators $eq $ne $gt $gte $lt $lte $in $nin $exists.'),
      field('Headers (JSON)', inputs.headers, original ? 'Values are shown masked; edit to replace the whole set, leave as is to keep it.' : 'Static headers sent with every delivery.'),
      field('Retry schedule', inputs.retry_schedule, 'Comma-separated waits; empty = the service default.'),
      el('div', { class: 'row' }, field('Rate limit per second', inputs.rate_limit_per_second), field('Max in flight', inputs.max_in_flight)),
      el('label', { class: 'check' }, inputs.enabled, 'Enabled'),
      el('div', { class: 'actions' }, submit), errors);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      errors.replaceChildren();
      run(submit, async () => {
        let body;
        try {
          const v = values();
          if (!original) {
            body = v;
            if (body.filter === null) delete body.filter;
            if (body.retry_schedule === null) delete body.retry_schedule;
            if (body.rate_limit_per_second === null) delete body.rate_limit_per_second;
          } else {
            body = {};
            const was = {
              url: o.url, description: o.description || '', event_types: o.event_types || [], filter: o.filter || null,
              retry_schedule: o.retry_schedule || null, rate_limit_per_second: o.rate_limit_per_second == null ? null : o.rate_limit_per_second,
              max_in_flight: o.max_in_flight, enabled: o.enabled,
            };
            for (const name of Object.keys(was)) {
              if (v[name] !== undefined && JSON.stringify(v[name]) !== JSON.stringify(was[name])) body[name] = v[name];
            }
            if (inputs.headers.value !== headersAsShown) body.headers = v.headers;
          }
          const saved = original
            ? await api('PATCH', '/v1/endpoints/' + segment(original.id), body)
            : await api('POST', '/v1/endpoints', body);
          onSaved(saved);
        } catch (error) {
          errors.replaceChildren(problem(error));
        }
      });
    });
    return form;
  }

  function endpointNew() {
    return el('div', null, el('h1', null, 'New endpoint'), el('section', { class: 'card' }, endpointForm(null, (created) => {
      location.hash = '#/endpoints/' + segment(created.id);
      flash('Endpoint created. Its signing secret is on this page (Show secret).');
    })));
  }

  async function endpointPage(ctx, id) {
    const since = new Date(Date.now() - 86400e3).toISOString();
    const [endpoint, stats, attempts] = await Promise.all([
      api('GET', '/v1/endpoints/' + segment(id)),
      api('GET', '/v1/endpoints/' + segment(id) + '/stats' + query({ since })),
      api('GET', '/v1/endpoints/' + segment(id) + '/attempts' + query({ limit: 100 })),
    ]);
    const path = '/v1/endpoints/' + segment(id);

    // Secret: shown on demand, rotated with two clicks.
    const secretBox = el('div');
    const showSecret = button('Show secret', async () => {
      const s = await api('GET', path + '/secret');
      secretBox.replaceChildren(el('code', { class: 'secret', id: 'endpoint-secret' }, s.secret));
    }, { class: 'secondary', id: 'secret-show' });
    const rotateSecret = confirmButton('Rotate secret', 'Click again to rotate', async () => {
      const s = await api('POST', path + '/secret/rotate');
      secretBox.replaceChildren(el('p', null, 'New secret:'), el('code', { class: 'secret', id: 'endpoint-secret' }, s.secret));
      flash('Secret rotated: for 24 hours deliveries carry signatures under both secrets.');
    }, { id: 'secret-rotate' });

    // Test event.
    const testType = el('input', { name: 'event_type', value: 'triggers.test' });
    const testPayload = el('textarea', { name: 'payload', placeholder: '{"hello": "world"} (optional)' });
    const testResult = el('div', { id: 'test-result' });
    const sendTest = button('Send test event', async () => {
      const body = { event_type: testType.value.trim() || 'triggers.test' };
      const payload = parseJson('Payload', testPayload.value);
      if (payload !== null) body.payload = payload;
      const r = await api('POST', path + '/test', body);
      testResult.replaceChildren(el('p', null, 'Sent: ', link('events/' + segment(r.event_id), r.event_id, { class: 'mono', id: 'test-event-link' })));
    }, { id: 'endpoint-test' });

    // Recover a window.
    const recoverSince = el('input', { type: 'datetime-local', value: localInputValue(new Date(Date.now() - 3600e3)) });
    const recoverUntil = el('input', { type: 'datetime-local' });
    const recover = button('Recover', async () => {
      const r = await api('POST', path + '/recover', { since: isoOf(recoverSince.value), until: isoOf(recoverUntil.value) });
      flash(r.recovering + ' failed or dead deliveries are being delivered again.');
    }, { class: 'secondary', id: 'endpoint-recover' });

    const points = attempts.attempts.slice().reverse();
    const latency = chart(ctx, el('div', { class: 'chart' }), ['latency'],
      points.map((a) => Date.parse(a.attempted_at) / 1000), [points.map((a) => a.duration_ms)]);
    const pct = (value) => (value == null ? '—' : (100 * value).toFixed(1) + ' %');
    const ms = (value) => (value == null ? '—' : value + ' ms');

    return el('div', null,
      el('div', { class: 'row' }, el('h1', null, 'Endpoint'), statusBadge(endpoint.enabled ? 'enabled' : 'disabled'),
        button('Refresh', () => route(), { class: 'secondary', id: 'endpoint-refresh' })),
      el('section', { class: 'card' }, el('dl', { class: 'meta' },
        el('dt', null, 'URL'), el('dd', { id: 'endpoint-url' }, endpoint.url),
        el('dt', null, 'ID'), el('dd', { class: 'mono' }, endpoint.id),
        el('dt', null, 'Description'), el('dd', null, text(endpoint.description)),
        el('dt', null, 'Event types'), el('dd', null, (endpoint.event_types || []).join(', ') || 'every event'),
        endpoint.disabled_reason ? [el('dt', null, 'Disabled because'), el('dd', null, endpoint.disabled_reason)] : null,
        el('dt', null, 'Updated'), el('dd', null, time(endpoint.updated_at)))),
      el('div', { class: 'grid2' },
        el('section', { class: 'card' }, el('h2', null, 'Last 24 hours'), el('dl', { class: 'meta', id: 'endpoint-stats' },
          el('dt', null, 'Attempts'), el('dd', null, stats.attempts + ' (' + stats.succeeded + ' succeeded, ' + stats.failed + ' failed)'),
          el('dt', null, 'Success rate'), el('dd', null, pct(stats.success_rate)),
          el('dt', null, 'Latency p50 / p99'), el('dd', null, ms(stats.latency_ms && stats.latency_ms.p50) + ' / ' + ms(stats.latency_ms && stats.latency_ms.p99)),
          el('dt', null, 'Deliveries'), el('dd', null, 'pending ' + stats.deliveries.pending + ', failed ' + stats.deliveries.failed
            + ', dead ' + stats.deliveries.dead + ', paused ' + stats.deliveries.paused))),
        el('section', { class: 'card' }, el('h2', null, 'Latency of the last ' + points.length + ' attempts (ms)'), latency)),
      el('div', { class: 'grid2' },
        el('section', { class: 'card' }, el('h2', null, 'Send a test event'),
          el('p', { class: 'muted' }, 'Delivered to this endpoint only, whatever its event types and filter.'),
          el('div', { class: 'form' }, field('Event type', testType), field('Payload (JSON)', testPayload), el('div', null, sendTest), testResult)),
        el('section', { class: 'card' }, el('h2', null, 'Signing secret'),
          el('p', { class: 'muted' }, 'Deliveries are signed with this secret (Standard Webhooks). After a rotation, for 24 hours every '
            + 'delivery carries two signatures, one under the new secret and one under the old, so receivers can switch at their own pace.'),
          el('div', { class: 'actions' }, showSecret, rotateSecret), secretBox)),
      el('section', { class: 'card' }, el('h2', null, 'Recover a window'),
        el('p', { class: 'muted' }, 'Failed and dead deliveries of events created in the window are delivered again as new attempts.'),
        el('div', { class: 'row' }, field('Since', recoverSince), field('Until (empty = now)', recoverUntil), recover)),
      el('section', { class: 'card' }, el('h2', null, 'Settings'), endpointForm(endpoint, () => { flash('Endpoint saved.'); route(); })),
      el('section', { class: 'card' }, el('h2', null, 'Recent attempts'),
        attempts.attempts.length ? table(['At', 'Event', '#', 'Status code', 'Duration', 'Error'], attempts.attempts.slice(0, 50).map((a) => el('tr', null,
          td(time(a.attempted_at)), td(link('events/' + segment(a.event_id), a.event_id, { class: 'mono' })), td(a.attempt), td(a.status_code),
          td(a.duration_ms + ' ms'), td(a.error, { class: 'wrap' }))), { id: 'endpoint-attempts' }) : el('p', { class: 'muted' }, 'No attempt yet.')),
      el('div', { class: 'actions' }, confirmButton('Delete endpoint', 'Click again to delete', async () => {
        await api('DELETE', path);
        location.hash = '#/endpoints';
        flash('Endpoint deleted.');
      })));
  }

  function deadLetters(ctx) {
    const body = el('tbody');
    const all = el('input', { type: 'checkbox', id: 'dead-all', title: 'select all shown' });
    const more = el('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
    const replaySelected = button('Replay selected', async () => {
      const ids = [...body.querySelectorAll('input[type=checkbox]:checked')].map((box) => box.value);
      if (!ids.length) throw new Error('select dead letters first');
      const r = await api('POST', '/v1/dead-letters/replay', { event_ids: ids });
      flash(r.replayed + ' dead letters replayed.');
      await load(true);
    }, { id: 'dead-replay-selected' });
    const since = el('input', { type: 'datetime-local', id: 'dead-since', value: localInputValue(new Date(Date.now() - 86400e3)) });
    const replaySince = confirmButton('Replay all since', 'Click again to replay all', async () => {
      const r = await api('POST', '/v1/dead-letters/replay', { since: isoOf(since.value) });
      flash(r.replayed + ' dead letters replayed.');
      await load(true);
    }, { id: 'dead-replay-since' });
    const error = el('div');
    let cursor = null;

    async function load(reset) {
      error.replaceChildren();
      try {
        const page = await api('GET', '/v1/dead-letters' + query({ limit: 100, cursor: reset ? null : cursor }));
        const rows = page.events.map((e) => el('tr', { 'data-event-id': e.event_id },
          el('td', null, el('input', { type: 'checkbox', value: e.event_id, 'aria-label': 'select ' + e.event_id })),
          td(time(e.created_at)), td(e.event_type, { class: 'wrap' }), td(e.source, { class: 'wrap' }), td(e.last_error, { class: 'wrap' }),
          td(link('events/' + segment(e.event_id), e.event_id, { class: 'mono' }))));
        if (reset) body.replaceChildren(...rows); else add(body, rows);
        if (!body.children.length) body.replaceChildren(el('tr', null, el('td', { colspan: 6, class: 'muted', id: 'dead-empty' }, 'No dead letters.')));
        cursor = page.next_cursor;
        more.hidden = !cursor;
        all.checked = false;
      } catch (e) {
        error.replaceChildren(problem(e));
      }
    }
    all.addEventListener('change', () => body.querySelectorAll('input[type=checkbox]').forEach((box) => { box.checked = all.checked; }));
    more.addEventListener('click', () => run(more, () => load(false)));
    ctx.mounted.push(() => load(true));

    return el('div', null,
      el('div', { class: 'row' }, el('h1', null, 'Dead letters'), button('Refresh', () => load(true), { class: 'secondary', id: 'dead-refresh' })),
      el('p', { class: 'muted' }, 'Events whose retries ran out on some endpoint. Replaying delivers them again as new attempts.'),
      el('div', { class: 'row' }, replaySelected, field('Since', since), replaySince),
      error,
      el('div', { class: 'table-wrap' }, el('table', { id: 'dead-table' },
        el('thead', null, el('tr', null, el('th', null, all), ['Created', 'Type', 'Source', 'Last error', 'Event'].map((h) => el('th', null, h)))), body)),
      el('p', null, more));
  }

  async function keysView() {
    const list = await api('GET', '/v1/keys');
    const mine = sessionStorage.getItem(KEY) || '';
    const shown = el('div', { id: 'key-shown' });

    function showOnce(title, created) {
      const useIt = button('Use this key in this tab', async () => {
        sessionStorage.setItem(KEY, created.key);
        flash('This tab now uses the new key.');
        await route();
      }, { class: 'secondary', id: 'key-use' });
      shown.replaceChildren(el('section', { class: 'card' }, el('h2', null, title),
        el('p', null, 'Copy it now: it is shown this once and cannot be read again.'),
        el('code', { class: 'secret', id: 'new-key' }, created.key), el('p', null, useIt)));
    }

    const rows = list.keys.map((k) => {
      const grace = el('input', { type: 'number', min: 0, value: 3600, size: 7, 'aria-label': 'grace period in seconds', class: 'grace' });
      return el('tr', { 'data-key-id': k.id },
        td(el('span', { class: 'mono' }, k.prefix + '…', mine.startsWith(k.prefix) ? el('strong', null, ' (this tab)') : null)),
        td(time(k.created_at)), td(time(k.expires_at)), td(time(k.last_used_at)),
        el('td', null, el('div', { class: 'actions' }, field('Grace (s)', grace),
          button('Rotate', async () => {
            const created = await api('POST', '/v1/keys/' + segment(k.id) + '/rotate', { grace_period_seconds: Number(grace.value || 0) });
            await route();
            showOnceAfterRoute('Rotated: the new key', created);
          }, { class: 'secondary rotate' }),
          confirmButton('Revoke', 'Click again to revoke', async () => {
            await api('DELETE', '/v1/keys/' + segment(k.id));
            flash('Key revoked: it stops working within 5 seconds.');
            await route();
          }, { class: 'danger revoke' }))));
    });

    const view = el('div', null,
      el('div', { class: 'row' }, el('h1', null, 'API keys'), button('Create key', async () => {
        const created = await api('POST', '/v1/keys');
        await route();
        showOnceAfterRoute('New key', created);
      }, { id: 'key-create' })),
      shown,
      table(['Key', 'Created', 'Expires', 'Last used', 'Actions'], rows, { id: 'keys-table' }),
      el('p', { class: 'muted' }, 'Rotating makes a new key; the old one keeps working for the grace period (0 = revoke now). '
        + 'Revoking the last key is refused.'));
    view.showOnce = showOnce;
    return view;
  }

  /** After a re-render of the keys page, the freshly made key is shown on the new page. */
  function showOnceAfterRoute(title, created) {
    const view = $('main').firstChild;
    if (view && typeof view.showOnce === 'function') view.showOnce(title, created);
  }

  async function eventTypes(ctx, selected) {
    const list = await api('GET', '/v1/event-types');
    const chosen = selected ? list.event_types.find((t) => t.name === selected) : null;
    const name = el('input', { name: 'name', value: selected || '', placeholder: 'order.created', id: 'type-name' });
    const description = el('input', { name: 'description', value: (chosen && chosen.description) || '' });
    const schema = el('textarea', { name: 'schema', id: 'type-schema', rows: 14,
      value: chosen && chosen.schema ? pretty(chosen.schema) : '', placeholder: '{"type": "object", "required": ["order_id"]}' });
    const deprecated = el('input', { type: 'checkbox', checked: !!(chosen && chosen.deprecated) });
    const errors = el('div', { id: 'type-errors' });
    const save = el('button', { type: 'submit', id: 'type-save' }, 'Save');
    const form = el('form', { class: 'form', id: 'type-form' },
      field('Name', name, '1–128 characters of A–Z a–z 0–9 . _ : -'), field('Description', description),
      field('JSON Schema (2020-12)', schema, 'Empty = free-form. Payloads of this type are checked against it at ingest.'),
      el('label', { class: 'check' }, deprecated, 'Deprecated'),
      el('div', { class: 'actions' }, save,
        selected ? confirmButton('Delete', 'Click again to delete', async () => {
          await api('DELETE', '/v1/event-types/' + segment(selected));
          location.hash = '#/event-types';
          flash('Event type deleted.');
        }) : null),
      errors);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      errors.replaceChildren();
      run(save, async () => {
        try {
          const body = { description: description.value, deprecated: deprecated.checked };
          const parsed = parseJson('Schema', schema.value);
          if (parsed !== null) body.schema = parsed;
          const saved = await api('PUT', '/v1/event-types/' + segment(name.value.trim()), body);
          flash('Event type ' + saved.name + ' saved.');
          if (location.hash !== '#/event-types/' + segment(saved.name)) location.hash = '#/event-types/' + segment(saved.name);
          else route();
        } catch (error) {
          errors.replaceChildren(problem(error));
        }
      });
    });

    const rows = list.event_types.map((t) => el('tr', null,
      td(link('event-types/' + segment(t.name), t.name)), td(t.description, { class: 'wrap' }),
      td(t.schema ? 'yes' : 'free-form'), td(t.deprecated ? 'deprecated' : '')));
    return el('div', null,
      el('div', { class: 'row' }, el('h1', null, 'Event types'), link('event-types', 'New type')),
      el('div', { class: 'grid2' },
        el('section', { class: 'card' }, rows.length ? table(['Name', 'Description', 'Schema', ''], rows, { id: 'types-table' })
          : el('p', { class: 'muted' }, 'No event type registered: every type is free-form.')),
        el('section', { class: 'card' }, el('h2', null, selected ? 'Edit ' + selected : 'New event type'), form)));
  }

  // ---------------------------------------------------------------- routing, sign-in

  const ROUTES = [
    [/^#\/overview$/, 'overview', overview],
    [/^#\/events$/, 'events', eventsView],
    [/^#\/events\/([0-9a-fA-F-]{36})$/, 'events', eventPage],
    [/^#\/endpoints$/, 'endpoints', endpointsView],
    [/^#\/endpoints\/new$/, 'endpoints', endpointNew],
    [/^#\/endpoints\/([0-9a-fA-F-]{36})$/, 'endpoints', endpointPage],
    [/^#\/dead-letters$/, 'dead-letters', deadLetters],
    [/^#\/keys$/, 'keys', keysView],
    [/^#\/event-types$/, 'event-types', eventTypes],
    [/^#\/event-types\/([^/]{1,400})$/, 'event-types', eventTypes],
  ];

  async function route() {
    if (!sessionStorage.getItem(KEY)) return;
    leaving.forEach((fn) => { try { fn(); } catch (e) { /* already gone */ } });
    leaving = [];
    const mine = ++seq;
    const hash = location.hash || '#/overview';
    const found = ROUTES.map(([pattern, nav, view]) => [hash.match(pattern), nav, view]).find(([m]) => m);
    if (!found) {
      location.replace('#/overview');
      return;
    }
    const [match, nav, view] = found;
    document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.nav === nav));
    const main = $('main');
    main.setAttribute('aria-busy', 'true');
    const ctx = { mounted: [] };
    try {
      const node = await view(ctx, ...match.slice(1).map(decodeURIComponent));
      if (mine !== seq) return;
      main.replaceChildren(node);
      ctx.mounted.forEach((fn) => fn());
      main.dataset.view = nav;
      main.dataset.route = hash;
    } catch (error) {
      if (mine !== seq) return;
      main.replaceChildren(el('h1', null, 'Something went wrong'), problem(error));
      main.dataset.route = hash;
    } finally {
      if (mine === seq) main.removeAttribute('aria-busy');
    }
  }

  function showSignIn(message) {
    $('shell').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
    $('signin-key').focus();
  }

  function showShell(me) {
    $('signin').hidden = true;
    $('shell').hidden = false;
    $('org').textContent = me.name + ' (' + me.tier + ')';
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    leaving.forEach((fn) => { try { fn(); } catch (e) { /* already gone */ } });
    leaving = [];
    seq++;
    $('main').replaceChildren();
    $('flash').hidden = true;
    $('org').textContent = '';
    showSignIn(message);
  }

  async function signIn(key) {
    sessionStorage.setItem(KEY, key);
    try {
      const me = await api('GET', '/v1/me');
      showShell(me);
      await route();
    } catch (error) {
      sessionStorage.removeItem(KEY);
      showSignIn(error.status === 401 ? 'That key was refused.' : 'Could not sign in: ' + error.message);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('signin-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const input = $('signin-key');
      const key = input.value.trim();
      input.value = '';
      if (key) signIn(key);
    });
    $('signout').addEventListener('click', () => signOut('Signed out.'));
    // A message shown just before a navigation ("Endpoint created") outlives it; older ones go.
    window.addEventListener('hashchange', () => {
      if (Date.now() - flashedAt > 1000) $('flash').hidden = true;
      route();
    });
    const key = sessionStorage.getItem(KEY);
    if (key) signIn(key); else showSignIn();
  });
})();
