// #/products/<id>: one product, and "add to cart" with a quantity.
import { api, get } from '../api.js';
import { field, h } from '../dom.js';
import { price, t } from '../i18n.js';
import { errorBox, submitting } from '../problems.js';
import { go } from '../router.js';
import * as session from '../session.js';

export async function render(view, { params }) {
  const errors = errorBox();
  let product;
  try {
    product = await get(`/v1/products/${encodeURIComponent(params.id)}`);
  } catch (error) {
    view.append(h('h1', {}, t('product.title')), errors.element);
    errors.show(error);
    return;
  }
  const quantity = h('input', {
    type: 'number',
    name: 'quantity',
    min: 1,
    max: 1000,
    value: '1',
    required: true,
    inputmode: 'numeric',
  });
  const status = h('p', { class: 'notice', role: 'status' });
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: submitting(errors, async () => {
        status.replaceChildren();
        if (!session.user()) {
          go(`#/signin?next=${encodeURIComponent(location.hash)}`);
          return;
        }
        await api('PUT', `/v1/cart/items/${encodeURIComponent(product.id)}`, {
          body: { quantity: Number(quantity.value) },
        });
        status.append(t('product.added'), ' ', h('a', { href: '#/cart' }, t('product.go_to_cart')));
      }),
    },
    field(t('product.quantity'), quantity),
    h('button', { type: 'submit', disabled: product.stock < 1 }, t('product.add_to_cart')),
  );
  view.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, t('nav.catalog'))),
    h(
      'article',
      { class: 'product' },
      h('h1', {}, product.name),
      h('p', { class: 'price big' }, price(product.price)),
      h(
        'p',
        { class: product.stock > 0 ? 'stock' : 'stock out' },
        product.stock > 0 ? t('product.in_stock', { count: product.stock }) : t('product.sold_out'),
      ),
      product.description ? h('p', { class: 'description' }, product.description) : null,
      product.sku ? h('p', { class: 'muted' }, t('product.sku', { sku: product.sku })) : null,
      form,
      errors.element,
      status,
    ),
  );
}
