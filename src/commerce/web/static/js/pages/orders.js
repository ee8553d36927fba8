// #/orders?cursor=: the caller's orders, newest first.
import { get, withQuery } from '../api.js';
import { h } from '../dom.js';
import { dateTime, price, t } from '../i18n.js';
import { attempt, errorBox } from '../problems.js';
import { shortId, statusBadge } from './order-parts.js';

export async function render(view, { query }) {
  const errors = errorBox();
  view.append(h('h1', {}, t('orders.title')), errors.element);
  const page = await attempt(errors, () => get(withQuery('/v1/orders', { cursor: query.get('cursor'), limit: 20 })));
  if (!page) return;
  if (!page.items.length) {
    view.append(h('p', { class: 'empty' }, t('orders.empty')));
    return;
  }
  view.append(
    h(
      'ul',
      { class: 'rows' },
      page.items.map((order) =>
        h(
          'li',
          {},
          h('a', { href: `#/orders/${encodeURIComponent(order.id)}` }, t('order.title', { id: shortId(order.id) })),
          ' ',
          statusBadge(order.status),
          h('span', { class: 'num' }, price(order.total)),
          h('span', { class: 'muted' }, dateTime(order.created_at)),
        ),
      ),
    ),
  );
  if (page.next_cursor) {
    view.append(
      h('p', { class: 'pager' }, h('a', { class: 'button secondary', href: withQuery('#/orders', { cursor: page.next_cursor }) }, t('catalog.next'))),
    );
  }
}
