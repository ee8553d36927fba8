// Pieces the operations console's pages share: their sub-navigation, the service (and
// status) filter, pagination links, ages and a table built from rows.
import { field, h } from './dom.js';
import { language, t } from './i18n.js';
import { MESSAGING_SERVICES } from './ops-api.js';
import { go } from './router.js';

export const deadLettersHash = (service, status = 'OPEN') =>
  `#/ops/${encodeURIComponent(service)}/dead-letters${status ? `?status=${status}` : ''}`;
export const letterHash = (service, id) => `#/ops/${encodeURIComponent(service)}/dead-letters/${encodeURIComponent(id)}`;
export const auditHash = (service) => `#/ops/${encodeURIComponent(service)}/audit`;

/** Overview, dead letters and audit of `service`, the current one marked. */
export function opsNav(current, service = 'product') {
  const links = [
    ['overview', '#/ops', t('ops.overview')],
    ['dead-letters', deadLettersHash(service), t('ops.dead_letters')],
    ['audit', auditHash(service), t('ops.audit')],
  ];
  return h(
    'nav',
    { class: 'subnav', 'aria-label': t('ops.sections') },
    h(
      'ul',
      {},
      links.map(([name, href, text]) =>
        h('li', {}, h('a', { href, 'aria-current': name === current ? 'page' : null }, text)),
      ),
    ),
  );
}

export function knownService(service) {
  return MESSAGING_SERVICES.includes(service);
}

function select(name, options, chosen) {
  return h(
    'select',
    { name },
    options.map(([value, text]) => h('option', { value, selected: value === chosen }, text)),
  );
}

/** A small form choosing the service (and, with `statuses`, a status); it moves to
 * `hashOf(service, status)` on submit, so the choice is in the address and survives a reload. */
export function filterForm({ service, status, statuses, hashOf }) {
  const serviceSelect = select(
    'service',
    MESSAGING_SERVICES.map((name) => [name, name]),
    service,
  );
  const statusSelect = statuses
    ? select('status', [['', t('ops.status_any')], ...statuses.map((s) => [s, t(`ops.letter.${s}`)])], status || '')
    : null;
  return h(
    'form',
    {
      class: 'inline filters',
      'aria-label': t('ops.filters'),
      onsubmit: (event) => {
        event.preventDefault();
        go(hashOf(serviceSelect.value, statusSelect ? statusSelect.value : undefined));
      },
    },
    field(t('ops.service'), serviceSelect),
    statusSelect ? field(t('ops.status'), statusSelect) : null,
    h('button', { type: 'submit' }, t('ops.show')),
  );
}

/** "First page" and "Next page" links of a keyset-paged list. */
export function pager(hashWith, cursor, nextCursor) {
  if (!cursor && !nextCursor) return null;
  return h(
    'nav',
    { class: 'pager', 'aria-label': t('catalog.pages') },
    cursor ? h('a', { class: 'button secondary', href: hashWith(null) }, t('ops.first_page')) : null,
    nextCursor ? h('a', { class: 'button secondary', href: hashWith(nextCursor) }, t('catalog.next')) : null,
  );
}

/** A table: `columns` are header texts, `rows` arrays of cells (text or elements). */
export function table(caption, columns, rows, attributes = {}) {
  return h(
    'table',
    { class: 'lines ops-table', ...attributes },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map((column) => h('th', { scope: 'col' }, column)))),
    h(
      'tbody',
      {},
      rows.map(({ cells, attributes: rowAttributes = {} }) =>
        h('tr', rowAttributes, cells.map((cell) => h('td', {}, cell))),
      ),
    ),
  );
}

/** 42 s, 5 min, 3 h: precise enough to see what is late. */
export function age(seconds) {
  if (seconds === null || seconds === undefined) return t('ops.none');
  if (seconds < 90) return t('ops.age_seconds', { n: Math.round(seconds) });
  if (seconds < 90 * 60) return t('ops.age_minutes', { n: Math.round(seconds / 60) });
  return t('ops.age_hours', { n: Math.round(seconds / 3600) });
}

/** A <dl> of [term, value] pairs, the null ones left out. */
export function facts(rows) {
  return h(
    'dl',
    { class: 'facts' },
    rows.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

/** A polite live region for the outcome of an action. */
export function statusLine() {
  return h('p', { class: 'notice', role: 'status' });
}

/** Date and time to the second: operators line events up by it. */
export function moment(text) {
  if (!text) return '';
  return new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(text));
}
