// #/?q=&cursor= : the catalog, newest first, with search and next/previous pages.
import { get, withQuery } from '../api.js';
import { field, h } from '../dom.js';
import { price, t } from '../i18n.js';
import { errorBox } from '../problems.js';
import { go } from '../router.js';

// The cursors of the pages before this one (the API's cursors only go forward).
let earlier = [];

function pageHash(q, cursor) {
  return withQuery('#/', { q, cursor });
}

export async function render(view, { query }) {
  const q = query.get('q') || '';
  const cursor = query.get('cursor') || '';
  if (!cursor) earlier = [];
  const search = h('input', { type: 'search', name: 'q', value: q, maxlength: 200 });
  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        earlier = [];
        go(pageHash(search.value.trim()));
      },
    },
    field(t('catalog.search'), search),
    h('button', { type: 'submit' }, t('catalog.search_button')),
  );
  const errors = errorBox();
  view.append(h('h1', {}, t('catalog.title')), form, errors.element);
  let page;
  try {
    page = await get(withQuery('/v1/products', { q, cursor, limit: 12 }));
  } catch (error) {
    errors.show(error);
    return;
  }
  if (!page.items.length) {
    view.append(h('p', { class: 'empty' }, q ? t('catalog.no_match', { q }) : t('catalog.empty')));
  }
  view.append(h('ul', { class: 'cards', 'aria-label': t('catalog.results') }, page.items.map(card)));
  const previous = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      disabled: !cursor,
      onclick: () => go(pageHash(q, earlier.pop())),
    },
    t('catalog.previous'),
  );
  const next = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      disabled: !page.next_cursor,
      onclick: () => {
        earlier.push(cursor);
        go(pageHash(q, page.next_cursor));
      },
    },
    t('catalog.next'),
  );
  view.append(h('nav', { class: 'pager', 'aria-label': t('catalog.pages') }, previous, next));
}

function card(product) {
  return h(
    'li',
    { class: 'card' },
    h('h2', {}, h('a', { href: `#/products/${encodeURIComponent(product.id)}` }, product.name)),
    h('p', { class: 'price' }, price(product.price)),
    h(
      'p',
      { class: product.stock > 0 ? 'stock' : 'stock out' },
      product.stock > 0 ? t('product.in_stock', { count: product.stock }) : t('product.sold_out'),
    ),
  );
}
