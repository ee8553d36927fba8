// #/staff: orders to ship (CONFIRMED) and to deliver (SHIPPED), across every customer.
import { api, get, withQuery } from '../api.js';
import { field, h, replaceChildren } from '../dom.js';
import { dateTime, price, t } from '../i18n.js';
import { attempt, errorBox } from '../problems.js';
import { shortId, statusBadge } from './order-parts.js';

export async function render(view) {
  const toShip = h('section', { class: 'panel', 'aria-labelledby': 'to-ship' });
  const toDeliver = h('section', { class: 'panel', 'aria-labelledby': 'to-deliver' });
  view.append(h('h1', {}, t('staff.title')), toShip, toDeliver);

  async function refresh() {
    await Promise.all([
      list(toShip, 'to-ship', t('staff.to_ship'), 'CONFIRMED', shipForm),
      list(toDeliver, 'to-deliver', t('staff.to_deliver'), 'SHIPPED', deliverButton),
    ]);
  }

  async function list(section, headingId, heading, status, action) {
    const errors = errorBox();
    replaceChildren(section, h('h2', { id: headingId }, heading), errors.element);
    const page = await attempt(errors, () => get(withQuery('/v1/orders', { scope: 'all', status, limit: 50 })));
    if (!page) return;
    if (!page.items.length) {
      section.append(h('p', { class: 'empty' }, t('staff.none')));
      return;
    }
    section.append(
      h(
        'ul',
        { class: 'rows staff' },
        page.items.map((order) => {
          const rowErrors = errorBox();
          return h(
            'li',
            { 'data-order-id': order.id },
            h('a', { href: `#/orders/${encodeURIComponent(order.id)}` }, t('order.title', { id: shortId(order.id) })),
            statusBadge(order.status),
            h('span', { class: 'num' }, price(order.total)),
            h('span', { class: 'muted' }, dateTime(order.updated_at)),
            action(order, rowErrors),
            rowErrors.element,
          );
        }),
      ),
    );
  }

  async function act(order, errors, path, body) {
    await attempt(errors, async () => {
      await api('POST', `/v1/orders/${encodeURIComponent(order.id)}/${path}`, body ? { body } : {});
      await refresh();
    });
  }

  function shipForm(order, errors) {
    const label = shortId(order.id);
    const carrier = h('input', { type: 'text', name: 'carrier', required: true, maxlength: 100 });
    const tracking = h('input', { type: 'text', name: 'tracking_number', required: true, maxlength: 100 });
    return h(
      'form',
      {
        class: 'inline',
        'aria-label': t('staff.ship_named', { id: label }),
        onsubmit: (event) => {
          event.preventDefault();
          act(order, errors, 'ship', {
            carrier: carrier.value.trim(),
            tracking_number: tracking.value.trim(),
          });
        },
      },
      field(t('staff.carrier'), carrier),
      field(t('staff.tracking'), tracking),
      h('button', { type: 'submit' }, t('staff.ship')),
    );
  }

  function deliverButton(order, errors) {
    return h(
      'button',
      { type: 'button', onclick: () => act(order, errors, 'deliver'), 'aria-label': t('staff.deliver_named', { id: shortId(order.id) }) },
      t('staff.deliver'),
    );
  }

  await refresh();
}
