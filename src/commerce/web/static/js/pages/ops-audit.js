// #/ops/<service>/audit?cursor=: who did what to the service's dead letters, and when.
import { h } from '../dom.js';
import { code, t } from '../i18n.js';
import * as ops from '../ops-api.js';
import { auditHash, filterForm, knownService, moment, opsNav, pager, table } from '../ops-parts.js';
import { attempt, errorBox } from '../problems.js';

export async function render(view, { params, query }) {
  const { service } = params;
  const cursor = query.get('cursor');
  const errors = errorBox();
  view.append(h('h1', {}, t('ops.audit_of', { service })), opsNav('audit', service));
  if (!knownService(service)) {
    view.append(h('p', {}, t('ops.unknown_service', { service })));
    return;
  }
  view.append(filterForm({ service, hashOf: auditHash }), errors.element);
  const page = await attempt(errors, () => ops.audit(service, cursor));
  if (!page) return;
  if (!page.items.length) {
    view.append(h('p', { class: 'empty' }, t('ops.no_audit')));
    return;
  }
  view.append(
    h(
      'div',
      {},
      table(
        t('ops.audit_of', { service }),
        [t('ops.when'), t('ops.who'), t('ops.action'), t('ops.target'), t('ops.detail')],
        page.items.map((entry) => ({
          cells: [
            moment(entry.at),
            entry.actor_email,
            code('ops.action', entry.action),
            h('code', {}, entry.target),
            entry.detail,
          ],
          attributes: { 'data-action': entry.action, 'data-target': entry.target },
        })),
      ),
      pager((next) => (next ? `${auditHash(service)}?cursor=${encodeURIComponent(next)}` : auditHash(service)), cursor, page.next_cursor),
    ),
  );
}
