// #/orders/<id>: one order, its status live (no reload), payment, shipment and reason.
import { api, get } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { code, dateTime, price, t } from '../i18n.js';
import { followOrder } from '../orderstream.js';
import { take } from '../placed.js';
import { attempt, errorBox } from '../problems.js';
import { shortId, statusBadge } from './order-parts.js';

const CANCELLABLE = new Set(['PENDING', 'CONFIRMED']);

export async function render(view, { params, signal }) {
  const errors = errorBox();
  let order = take(params.id);
  try {
    order ??= await get(`/v1/orders/${encodeURIComponent(params.id)}`);
  } catch (error) {
    view.append(h('h1', {}, t('order.title', { id: shortId(params.id) })), errors.element);
    errors.show(error);
    return;
  }
  const names = await productNames(order);
  const state = h('section', { class: 'panel order-state', 'aria-live': 'polite', 'aria-labelledby': 'order-state-title' });
  const lines = h('section', { class: 'panel' });
  view.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/orders' }, t('nav.orders'))),
    h('h1', {}, t('order.title', { id: shortId(order.id) })),
    errors.element,
    state,
    lines,
  );

  function draw(current) {
    order = current;
    replaceChildren(state, h('h2', { id: 'order-state-title' }, t('order.state')), facts(current), actions(current));
    replaceChildren(lines, h('h2', {}, t('order.items')), items(current, names));
  }

  function actions(current) {
    if (!CANCELLABLE.has(current.status)) return null;
    return h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          const path = `/v1/orders/${encodeURIComponent(current.id)}/cancel`;
          const cancelled = await attempt(errors, () => api('POST', path));
          if (cancelled) draw(cancelled);
        },
      },
      t('order.cancel'),
    );
  }

  draw(order);
  followOrder(order.id, {
    signal,
    onOrder: draw,
    onMode: (mode) => {
      state.dataset.live = mode;
    },
  });
}

function facts(order) {
  const rows = [
    [t('order.status'), statusBadge(order.status)],
    order.reason ? [t('order.reason'), h('span', { class: 'reason', 'data-reason': order.reason }, code('reason', order.reason))] : null,
    [t('order.total'), price(order.total)],
    order.payment
      ? [t('order.payment'), `${code('method', order.payment.method)} · ${code('payment', order.payment.status)}`]
      : null,
    order.shipment ? [t('order.carrier'), order.shipment.carrier] : null,
    order.shipment ? [t('order.tracking'), order.shipment.tracking_number] : null,
    order.shipment?.shipped_at ? [t('order.shipped_at'), dateTime(order.shipment.shipped_at)] : null,
    order.shipment?.delivered_at ? [t('order.delivered_at'), dateTime(order.shipment.delivered_at)] : null,
    [t('order.placed_at'), dateTime(order.created_at)],
  ];
  return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function items(order, names) {
  return h(
    'ul',
    { class: 'rows' },
    order.items.map((line) =>
      h(
        'li',
        {},
        h('a', { href: `#/products/${encodeURIComponent(line.product_id)}` }, names.get(line.product_id) || line.product_id),
        h('span', {}, `× ${line.quantity}`),
        h('span', { class: 'num' }, price(line.unit_price)),
      ),
    ),
  );
}

async function productNames(order) {
  const found = await Promise.all(
    order.items.map((line) =>
      get(`/v1/products/${encodeURIComponent(line.product_id)}`).then(
        (product) => [line.product_id, product.name],
        () => [line.product_id, null],
      ),
    ),
  );
  return new Map(found);
}
