// #/ops/<service>/dead-letters/<id>: one parked message: where it was read, its error,
// headers and payload (pretty-printed, as text); replay it, or discard it with a reason.
import { field, h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import * as ops from '../ops-api.js';
import { deadLettersHash, facts, knownService, moment, opsNav, statusLine, table } from '../ops-parts.js';
import { attempt, errorBox } from '../problems.js';
import { letterBadge } from './ops-dead-letters.js';

const MAX_REASON = 500;

export async function render(view, { params }) {
  const { service, id } = params;
  const errors = errorBox();
  const outcome = statusLine();
  view.append(
    h('p', { class: 'crumbs' }, h('a', { href: deadLettersHash(service) }, t('ops.dead_letters_of', { service }))),
    h('h1', {}, t('ops.letter_title', { id, service })),
    opsNav('dead-letters', service),
    outcome,
    errors.element,
  );
  if (!knownService(service)) {
    view.append(h('p', {}, t('ops.unknown_service', { service })));
    return;
  }
  let letter = await attempt(errors, () => ops.deadLetter(service, id));
  if (!letter) return;
  const summary = h('section', { class: 'panel', 'aria-labelledby': 'letter-summary', 'aria-live': 'polite' });
  const actions = h('section', { class: 'panel', 'aria-labelledby': 'letter-actions' });
  view.append(summary, actions, headersPanel(letter), payloadPanel(letter));

  function draw(changed) {
    // Replay and discard answer the summary without key, headers and payload: keep those.
    letter = { ...letter, ...changed };
    replaceChildren(summary, h('h2', { id: 'letter-summary' }, t('ops.letter_summary')), summaryFacts(letter));
    replaceChildren(actions, h('h2', { id: 'letter-actions' }, t('ops.actions')), ...actionControls(letter));
  }

  async function act(action, done) {
    outcome.textContent = '';
    const changed = await attempt(errors, action);
    if (!changed) return;
    draw(changed);
    outcome.textContent = done;
  }

  function actionControls(current) {
    if (current.status !== 'OPEN') return [h('p', { class: 'muted' }, t('ops.resolved'))];
    const reason = h('textarea', { name: 'reason', rows: 3, required: true, maxlength: MAX_REASON });
    const replayButton = h(
      'button',
      { type: 'button', onclick: () => act(() => ops.replay(service, id), t('ops.replayed')) },
      t('ops.replay'),
    );
    const discardForm = h(
      'form',
      {
        class: 'discard',
        'aria-label': t('ops.discard_named', { id }),
        onsubmit: (event) => {
          event.preventDefault();
          const text = reason.value.trim();
          if (!text) {
            errors.show(new Error(t('ops.reason_required')));
            reason.focus();
            return;
          }
          act(() => ops.discard(service, id, text), t('ops.discarded'));
        },
      },
      field(t('ops.reason'), reason, t('ops.reason_hint')),
      h('button', { type: 'submit', class: 'danger' }, t('ops.discard')),
    );
    return [h('p', {}, replayButton), discardForm];
  }

  draw({});
}

function summaryFacts(letter) {
  return facts([
    [t('ops.status'), letterBadge(letter.status)],
    [t('ops.event'), letter.event_type || t('ops.unknown')],
    letter.event_id ? [t('ops.event_id'), h('code', {}, letter.event_id)] : null,
    [t('ops.where'), `${letter.topic} · ${letter.partition} · ${letter.offset}`],
    letter.key ? [t('ops.key'), h('code', {}, letter.key)] : null,
    [t('ops.error_type'), h('code', { class: 'error-type' }, letter.error_type)],
    [t('ops.error_message'), h('span', { class: 'error-text' }, letter.error_message)],
    [t('ops.attempts'), String(letter.attempts)],
    [t('ops.failed_at'), moment(letter.failed_at)],
    letter.resolved_at ? [t('ops.resolved_at'), moment(letter.resolved_at)] : null,
    letter.resolved_by ? [t('ops.resolved_by'), h('code', {}, letter.resolved_by)] : null,
    letter.reason ? [t('ops.reason'), letter.reason] : null,
  ]);
}

function headersPanel(letter) {
  const entries = Object.entries(letter.headers || {});
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'letter-headers' },
    h('h2', { id: 'letter-headers' }, t('ops.headers')),
    entries.length
      ? table(t('ops.headers'), [t('ops.header_name'), t('ops.header_value')], entries.map(([name, value]) => ({ cells: [h('code', {}, name), h('code', {}, value)] })))
      : h('p', { class: 'empty' }, t('ops.none')),
  );
}

function payloadPanel(letter) {
  // Text, never markup: the payload is whatever reached the topic.
  const text = typeof letter.payload === 'string' ? letter.payload : JSON.stringify(letter.payload, null, 2);
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'letter-payload' },
    h('h2', { id: 'letter-payload' }, t('ops.payload')),
    h('pre', { class: 'payload', tabindex: 0, 'aria-labelledby': 'letter-payload' }, text),
  );
}
