// #/ops?older_than=: the operations console's overview (ADMIN only). Per process of the
// platform: the outbox backlog and its oldest row's age, consumer lag per partition, open
// dead letters and the metrics link; then the orders stuck in PENDING. Each service is asked
// on its own, so one that fails shows its error and the others still show (docs/adr/0131).
import { field, h, replaceChildren } from '../dom.js';
import { code, dateTime, language, t } from '../i18n.js';
import * as ops from '../ops-api.js';
import { age, auditHash, deadLettersHash, facts, opsNav, pager, table } from '../ops-parts.js';
import { attempt, errorBox } from '../problems.js';
import { go } from '../router.js';
import * as session from '../session.js';
import { shortId } from './order-parts.js';

const DEFAULT_OLDER_THAN = 60;
const MAX_OLDER_THAN = 86400;

export async function render(view, { query }) {
  const olderThan = threshold(query.get('older_than'));
  const cursor = query.get('cursor');
  const updated = h('p', { class: 'muted', role: 'status' });
  const servicesPanel = h('section', { 'aria-labelledby': 'ops-services' });
  const stuckPanel = h('section', { class: 'panel', 'aria-labelledby': 'ops-stuck' });
  view.append(
    h('h1', {}, t('ops.title')),
    opsNav('overview'),
    h(
      'div',
      { class: 'actions' },
      updated,
      h('button', { type: 'button', class: 'secondary', onclick: () => refresh() }, t('ops.refresh')),
    ),
    servicesPanel,
    stuckPanel,
  );

  async function refresh() {
    updated.textContent = t('ops.loading');
    await Promise.all([drawServices(servicesPanel), drawStuck(stuckPanel, olderThan, cursor)]);
    updated.textContent = t('ops.updated', { time: new Date().toLocaleTimeString(language()) });
  }

  await refresh();
}

function threshold(text) {
  const value = Number.parseInt(text, 10);
  return Number.isInteger(value) && value >= 1 && value <= MAX_OLDER_THAN ? value : DEFAULT_OLDER_THAN;
}

async function drawServices(section) {
  const errors = errorBox();
  // Without the gateway's list the services with an admin API are still shown (no metrics).
  const listed = await attempt(errors, () => ops.services());
  const processes = listed ? listed.items : ops.MESSAGING_SERVICES.map((name) => ({ name, metrics_url: null }));
  const cards = await Promise.all(processes.map(serviceCard));
  replaceChildren(section, h('h2', { id: 'ops-services' }, t('ops.services')), errors.element, h('div', { class: 'ops-cards' }, cards));
}

async function serviceCard({ name, metrics_url: metricsUrl }) {
  const headingId = `ops-service-${name}`;
  const card = h('section', { class: 'card ops-service', 'data-service': name, 'aria-labelledby': headingId });
  const metricsLink = metricsUrl ? h('a', { href: metricsUrl, 'aria-label': t('ops.metrics_of', { service: name }) }, t('ops.metrics')) : null;
  card.append(h('h3', { id: headingId }, name));
  if (!ops.MESSAGING_SERVICES.includes(name)) {
    card.append(h('p', { class: 'muted' }, t('ops.no_messaging')), h('p', {}, metricsLink));
    return card;
  }
  const errors = errorBox();
  const overview = await attempt(errors, () => ops.messaging(name));
  card.append(errors.element);
  if (overview) card.append(messagingFacts(name, overview), ...lagTable(name, overview));
  card.append(
    h(
      'p',
      { class: 'links' },
      metricsLink,
      h('a', { href: auditHash(name), 'aria-label': t('ops.audit_of', { service: name }) }, t('ops.audit')),
    ),
  );
  return card;
}

function messagingFacts(name, overview) {
  const open = overview.dead_letters.open;
  return facts([
    [t('ops.outbox_backlog'), overview.outbox ? String(overview.outbox.backlog) : t('ops.no_outbox')],
    overview.outbox ? [t('ops.outbox_oldest'), age(overview.outbox.oldest_age_seconds)] : null,
    [
      t('ops.open_dead_letters'),
      h(
        'a',
        { href: deadLettersHash(name), class: open ? 'warn' : null, 'data-open-dead-letters': open, 'aria-label': t('ops.open_dead_letters_of', { service: name, count: open }) },
        String(open),
      ),
    ],
  ]);
}

function lagTable(name, overview) {
  const parts = [];
  if (!overview.consumer_lag_available) {
    parts.push(h('p', { class: 'warn' }, t('ops.lag_unavailable'), ' ', overview.consumer_lag_detail || ''));
  }
  if (!overview.consumers.length) {
    parts.push(h('p', { class: 'muted' }, t('ops.no_consumers')));
    return parts;
  }
  // Without the broker's answer every offset is unknown; with it, a partition the group has
  // not committed on yet has no committed offset.
  const unknown = t('ops.unknown');
  const uncommitted = overview.consumer_lag_available ? t('ops.none') : unknown;
  parts.push(
    h(
      'div',
      { class: 'scroll' },
      table(
        t('ops.lag_of', { service: name }),
        [t('ops.group'), t('ops.topic'), t('ops.partition'), t('ops.committed'), t('ops.end'), t('ops.lag')],
        overview.consumers.map((row) => ({
          cells: [row.group, row.topic, row.partition ?? unknown, row.committed ?? uncommitted, row.end ?? unknown, row.lag ?? unknown],
          attributes: { class: row.lag ? 'warn' : null },
        })),
      ),
    ),
  );
  return parts;
}

async function drawStuck(section, olderThan, cursor) {
  const errors = errorBox();
  const seconds = h('input', { type: 'number', name: 'older_than', min: 1, max: MAX_OLDER_THAN, required: true, value: String(olderThan), class: 'quantity' });
  const form = h(
    'form',
    {
      class: 'inline',
      'aria-label': t('ops.stuck_threshold'),
      onsubmit: (event) => {
        event.preventDefault();
        go(stuckHash(seconds.value));
      },
    },
    field(t('ops.older_than'), seconds),
    h('button', { type: 'submit' }, t('ops.show')),
  );
  replaceChildren(section, h('h2', { id: 'ops-stuck' }, t('ops.stuck')), form, errors.element);
  const page = await attempt(errors, () => ops.stuckOrders(olderThan, cursor));
  if (!page) return;
  if (!page.items.length) {
    section.append(h('p', { class: 'empty' }, t('ops.no_stuck', { seconds: olderThan })));
    return;
  }
  section.append(
    h(
      'div',
      {},
      table(
        t('ops.stuck'),
        [t('ops.order'), t('ops.waiting_for'), t('ops.pending_for'), t('order.placed_at')],
        page.items.map((order) => ({
          cells: [
            orderCell(order.id),
            h('span', { class: 'badge status-pending', 'data-waiting-for': order.waiting_for }, code('ops.waiting', order.waiting_for)),
            age(order.age_seconds),
            dateTime(order.created_at),
          ],
          attributes: { 'data-order-id': order.id },
        })),
        { class: 'lines ops-table stuck-orders' },
      ),
      pager((next) => stuckHash(olderThan, next), cursor, page.next_cursor),
    ),
  );
}

// STAFF may open any order; an ADMIN without STAFF would find the order page a 404 (orders
// are their owner's and fulfilment's), so they get the id, whole in its title, to copy.
function orderCell(orderId) {
  const label = t('order.title', { id: shortId(orderId) });
  if (session.hasRole('STAFF')) {
    return h('a', { href: `#/orders/${encodeURIComponent(orderId)}` }, label);
  }
  return h('span', { class: 'order-id', title: orderId }, label);
}

function stuckHash(olderThan, cursor) {
  const params = new URLSearchParams({ older_than: String(olderThan) });
  if (cursor) params.set('cursor', cursor);
  return `#/ops?${params}`;
}
