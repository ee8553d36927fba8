// #/sell?cursor=: the products the signed-in user sells.
import { get, withQuery } from '../api.js';
import { h } from '../dom.js';
import { price, t } from '../i18n.js';
import { attempt, errorBox } from '../problems.js';
import * as session from '../session.js';

export async function render(view, { query }) {
  const errors = errorBox();
  view.append(
    h('div', { class: 'title-row' }, h('h1', {}, t('sell.title')), h('a', { class: 'button', href: '#/sell/new' }, t('sell.new'))),
    errors.element,
  );
  const mine = { seller_id: session.user().id, cursor: query.get('cursor'), limit: 20 };
  const page = await attempt(errors, () => get(withQuery('/v1/products', mine)));
  if (!page) return;
  if (!page.items.length) {
    view.append(h('p', { class: 'empty' }, t('sell.empty')));
    return;
  }
  view.append(
    h(
      'table',
      { class: 'lines' },
      h('caption', { class: 'visually-hidden' }, t('sell.title')),
      h('thead', {}, h('tr', {}, ['sell.name', 'sell.price', 'sell.stock', 'cart.actions'].map((key) => h('th', { scope: 'col' }, t(key))))),
      h(
        'tbody',
        {},
        page.items.map((product) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('a', { href: `#/products/${encodeURIComponent(product.id)}` }, product.name)),
            h('td', { class: 'num' }, price(product.price)),
            h('td', { class: 'num' }, String(product.stock)),
            h(
              'td',
              {},
              h('a', { href: `#/sell/${encodeURIComponent(product.id)}`, 'aria-label': t('sell.edit_named', { name: product.name }) }, t('sell.edit')),
            ),
          ),
        ),
      ),
    ),
  );
  if (page.next_cursor) {
    view.append(h('p', { class: 'pager' }, h('a', { class: 'button secondary', href: withQuery('#/sell', { cursor: page.next_cursor }) }, t('catalog.next'))));
  }
}
