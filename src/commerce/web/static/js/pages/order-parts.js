// Pieces the order pages share: the status badge and a short order number.
import { h } from '../dom.js';
import { code } from '../i18n.js';

export function statusBadge(status) {
  return h('span', { class: `badge status-${String(status).toLowerCase()}`, 'data-status': status }, code('status', status));
}

export function shortId(id) {
  return id.slice(0, 8);
}
