// #/ops/<service>/dead-letters?status=&cursor=: the messages a service parked, newest first,
// filtered by status, with "replay all open" (its counts shown); each opens to be inspected.
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import * as ops from '../ops-api.js';
import { deadLettersHash, filterForm, knownService, letterHash, moment, opsNav, pager, statusLine, table } from '../ops-parts.js';
import { attempt, errorBox } from '../problems.js';

export async function render(view, { params, query }) {
  const { service } = params;
  const status = ops.LETTER_STATUSES.includes(query.get('status')) ? query.get('status') : '';
  const cursor = query.get('cursor');
  const errors = errorBox();
  const outcome = statusLine();
  view.append(h('h1', {}, t('ops.dead_letters_of', { service })), opsNav('dead-letters', service));
  if (!knownService(service)) {
    view.append(h('p', {}, t('ops.unknown_service', { service })));
    return;
  }
  const list = h('div', { class: 'letters' });
  const replayAll = h('button', { type: 'button', class: 'secondary' }, t('ops.replay_all'));
  replayAll.addEventListener('click', async () => {
    replayAll.disabled = true;
    outcome.textContent = '';
    const counts = await attempt(errors, () => ops.replayAll(service));
    replayAll.disabled = false;
    if (!counts) return;
    outcome.textContent = t('ops.replayed_counts', counts);
    await drawList(list, service, status, cursor, errors);
  });
  view.append(
    h(
      'div',
      { class: 'actions' },
      filterForm({ service, status, statuses: ops.LETTER_STATUSES, hashOf: deadLettersHash }),
      replayAll,
    ),
    outcome,
    errors.element,
    list,
  );
  await drawList(list, service, status, cursor, errors);
}

async function drawList(list, service, status, cursor, errors) {
  const page = await attempt(errors, () => ops.deadLetters(service, { status, cursor }));
  if (!page) return;
  if (!page.items.length) {
    replaceChildren(list, h('p', { class: 'empty' }, t('ops.no_dead_letters')));
    return;
  }
  replaceChildren(
    list,
    table(
      t('ops.dead_letters_of', { service }),
      [t('ops.letter_id'), t('ops.event'), t('ops.where'), t('ops.error'), t('ops.attempts'), t('ops.failed_at'), t('ops.status')],
      page.items.map((letter) => ({
        cells: [
          h('a', { href: letterHash(service, letter.id), 'aria-label': t('ops.inspect_named', { id: letter.id }) }, `#${letter.id}`),
          letter.event_type || t('ops.unknown'),
          `${letter.topic} · ${letter.partition} · ${letter.offset}`,
          h('span', { class: 'error-text' }, `${letter.error_type}: ${letter.error_message}`),
          String(letter.attempts),
          moment(letter.failed_at),
          letterBadge(letter.status),
        ],
        attributes: { 'data-letter-id': letter.id },
      })),
    ),
    pager((next) => listHash(service, status, next), cursor, page.next_cursor),
  );
}

export function letterBadge(status) {
  return h('span', { class: `badge letter-${status.toLowerCase()}`, 'data-status': status }, t(`ops.letter.${status}`));
}

function listHash(service, status, cursor) {
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (cursor) params.set('cursor', cursor);
  const text = params.toString();
  return `#/ops/${encodeURIComponent(service)}/dead-letters${text ? `?${text}` : ''}`;
}
