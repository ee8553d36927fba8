// #/sell/new and #/sell/<id>: list a product, or change one's name, description, price and
// stock (only what changed is sent).
import { api, get } from '../api.js';
import { field, h } from '../dom.js';
import { t } from '../i18n.js';
import { errorBox, submitting } from '../problems.js';
import { go } from '../router.js';

export async function render(view, { params }) {
  const errors = errorBox();
  const editing = params.id !== undefined;
  let product = null;
  if (editing) {
    try {
      product = await get(`/v1/products/${encodeURIComponent(params.id)}`);
    } catch (error) {
      view.append(h('h1', {}, t('sell.edit_title')), errors.element);
      errors.show(error);
      return;
    }
  }
  const controls = {
    name: h('input', { type: 'text', name: 'name', required: true, maxlength: 200, value: product?.name ?? '' }),
    description: h('textarea', { name: 'description', rows: 4, maxlength: 5000 }, product?.description ?? ''),
    price: h('input', { type: 'number', name: 'price', required: true, min: 1, max: 1000000000, value: product ? String(product.price) : '' }),
    stock: h('input', { type: 'number', name: 'stock', required: true, min: 0, max: 10000000, value: product ? String(product.stock) : '' }),
  };
  const sku = editing ? null : h('input', { type: 'text', name: 'sku', maxlength: 64 });
  const status = h('p', { class: 'notice', role: 'status' });

  function body() {
    const values = {
      name: controls.name.value.trim(),
      description: controls.description.value,
      price: Number(controls.price.value),
      stock: Number(controls.stock.value),
    };
    if (!editing) {
      if (sku.value.trim()) values.sku = sku.value.trim();
      return values;
    }
    return Object.fromEntries(Object.entries(values).filter(([key, value]) => value !== product[key]));
  }

  const form = h(
    'form',
    {
      class: 'panel',
      onsubmit: submitting(errors, async () => {
        status.replaceChildren();
        if (!editing) {
          const created = await api('POST', '/v1/products', { body: body() });
          go(`#/sell/${encodeURIComponent(created.id)}`);
          return;
        }
        const changes = body();
        if (Object.keys(changes).length) {
          product = await api('PATCH', `/v1/products/${encodeURIComponent(product.id)}`, { body: changes });
        }
        status.append(t('sell.saved'));
      }),
    },
    h('h1', {}, editing ? t('sell.edit_title') : t('sell.new_title')),
    field(t('sell.name'), controls.name),
    field(t('sell.description'), controls.description),
    field(t('sell.price_krw'), controls.price),
    field(t('sell.stock'), controls.stock),
    sku ? field(t('sell.sku'), sku, t('sell.sku_hint')) : null,
    errors.element,
    status,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, editing ? t('sell.save') : t('sell.create')), h('a', { href: '#/sell' }, t('sell.back'))),
  );
  view.append(form);
}
