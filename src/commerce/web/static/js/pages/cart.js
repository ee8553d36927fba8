// #/cart: lines with quantity, availability and total; checkout with a test card.
import { api, get } from '../api.js';
import { field, h, replaceChildren } from '../dom.js';
import { price, t } from '../i18n.js';
import { remember } from '../placed.js';
import { attempt, errorBox } from '../problems.js';
import { go } from '../router.js';

// The simulated provider's test tokens (contract, "Payment"), then pay-later.
export const PAYMENT_CHOICES = [
  'tok_visa',
  'tok_declined',
  'tok_insufficient_funds',
  'tok_unavailable',
  'tok_flaky',
  'invoice',
];

export async function render(view) {
  const errors = errorBox();
  const body = h('div', {});
  view.append(h('h1', {}, t('cart.title')), errors.element, body);
  // One key per visit: a double submit places one order (the API's Idempotency-Key).
  const checkoutKey = crypto.randomUUID();

  async function draw(cart) {
    errors.clear();
    if (!cart.items.length) {
      replaceChildren(
        body,
        h('p', { class: 'empty' }, t('cart.empty')),
        h('p', {}, h('a', { href: '#/' }, t('cart.browse'))),
      );
      return;
    }
    replaceChildren(body, lines(cart), checkout(cart));
  }

  async function change(method, productId, quantity) {
    const path = `/v1/cart/items/${encodeURIComponent(productId)}`;
    const cart = await attempt(errors, () => api(method, path, quantity ? { body: { quantity } } : {}));
    if (cart) draw(cart);
  }

  function lines(cart) {
    const rows = cart.items.map((line) => {
      const quantity = h('input', {
        type: 'number',
        min: 1,
        max: 1000,
        value: String(line.quantity),
        inputmode: 'numeric',
        class: 'quantity',
        'aria-label': t('cart.quantity_of', { name: line.name || line.product_id }),
      });
      return h(
        'tr',
        { 'data-product-id': line.product_id },
        h('th', { scope: 'row' }, h('a', { href: `#/products/${line.product_id}` }, line.name)),
        h('td', { class: 'num' }, price(line.unit_price)),
        h(
          'td',
          {},
          h(
            'form',
            {
              class: 'inline',
              onsubmit: (event) => {
                event.preventDefault();
                change('PUT', line.product_id, Number(quantity.value));
              },
            },
            quantity,
            h('button', { type: 'submit', class: 'secondary' }, t('cart.update')),
          ),
        ),
        h(
          'td',
          { class: line.available ? 'ok' : 'warn' },
          line.available ? t('cart.available') : t('cart.unavailable'),
        ),
        h(
          'td',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => change('DELETE', line.product_id),
              'aria-label': t('cart.remove_named', { name: line.name || line.product_id }),
            },
            t('cart.remove'),
          ),
        ),
      );
    });
    return h(
      'table',
      { class: 'lines' },
      h('caption', { class: 'visually-hidden' }, t('cart.title')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['cart.product', 'cart.unit_price', 'cart.quantity', 'cart.availability', 'cart.actions'].map(
            (key) => h('th', { scope: 'col' }, t(key)),
          ),
        ),
      ),
      h('tbody', {}, rows),
      h(
        'tfoot',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'row', colspan: '4' }, t('cart.total')),
          h('td', { class: 'num total' }, price(cart.total)),
        ),
      ),
    );
  }

  function checkout(cart) {
    const payment = h(
      'select',
      { name: 'payment' },
      PAYMENT_CHOICES.map((choice) => h('option', { value: choice }, t(`payment.choice.${choice}`))),
    );
    const checkoutErrors = errorBox();
    const button = h('button', { type: 'submit' }, t('cart.checkout'));
    return h(
      'form',
      {
        class: 'panel checkout',
        onsubmit: async (event) => {
          event.preventDefault();
          checkoutErrors.clear();
          button.disabled = true;
          const choice = payment.value;
          const body = {
            payment: choice === 'invoice' ? { method: 'invoice' } : { method: 'card', token: choice },
          };
          try {
            const order = await api('POST', '/v1/cart/checkout', {
              body,
              headers: { 'Idempotency-Key': checkoutKey },
            });
            remember(order);
            go(`#/orders/${encodeURIComponent(order.id)}`);
          } catch (error) {
            checkoutErrors.show(error);
            button.disabled = false;
          }
        },
      },
      h('h2', {}, t('cart.checkout_title')),
      field(t('cart.payment'), payment, t('cart.payment_hint')),
      cart.items.some((line) => !line.available) ? h('p', { class: 'warn' }, t('cart.some_unavailable')) : null,
      checkoutErrors.element,
      button,
    );
  }

  const cart = await attempt(errors, () => get('/v1/cart'));
  if (cart) draw(cart);
}
