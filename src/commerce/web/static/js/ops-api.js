// The operations console's calls: the admin API each service serves under
// /v1/admin/<service>/ (docs/adr/0049), and the gateway's list of processes.
import { api, get, withQuery } from './api.js';

// Auth and the gateway have neither outbox nor consumers, hence no admin API of their own:
// the console shows only their metrics link.
export const MESSAGING_SERVICES = ['user', 'product', 'order', 'payment', 'cart'];
export const LETTER_STATUSES = ['OPEN', 'REPLAYED', 'DISCARDED'];
export const PAGE_SIZE = 20;

const base = (service) => `/v1/admin/${encodeURIComponent(service)}`;
const letterPath = (service, id) => `${base(service)}/dead-letters/${encodeURIComponent(id)}`;

export const services = () => get('/v1/admin/services');
export const messaging = (service) => get(`${base(service)}/messaging`);

export const stuckOrders = (olderThanSeconds, cursor) =>
  get(withQuery('/v1/admin/order/stuck-orders', { older_than_seconds: olderThanSeconds, cursor, limit: PAGE_SIZE }));

export const deadLetters = (service, { status, cursor }) =>
  get(withQuery(`${base(service)}/dead-letters`, { status, cursor, limit: PAGE_SIZE }));

export const deadLetter = (service, id) => get(letterPath(service, id));
export const replay = (service, id) => api('POST', `${letterPath(service, id)}/replay`);
export const replayAll = (service) => api('POST', `${base(service)}/dead-letters/replay`);
export const discard = (service, id, reason) =>
  api('POST', `${letterPath(service, id)}/discard`, { body: { reason } });

export const audit = (service, cursor) => get(withQuery(`${base(service)}/audit`, { cursor, limit: PAGE_SIZE }));
