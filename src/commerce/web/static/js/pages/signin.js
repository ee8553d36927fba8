// #/signin?next=: sign in with e-mail and password.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { errorBox, submitting } from '../problems.js';
import { go } from '../router.js';
import * as session from '../session.js';
import { credentialFields, nextHash } from './credentials.js';

export function render(view, { query }) {
  const errors = errorBox();
  const { email, password, fields } = credentialFields(false);
  const form = h(
    'form',
    {
      class: 'panel',
      onsubmit: submitting(errors, async () => {
        await session.signIn(email.value.trim(), password.value);
        go(nextHash(query));
      }),
    },
    h('h1', {}, t('signin.title')),
    ...fields,
    errors.element,
    h('button', { type: 'submit' }, t('signin.submit')),
    h(
      'p',
      {},
      t('signin.no_account'),
      ' ',
      h('a', { href: `#/signup?next=${encodeURIComponent(nextHash(query))}` }, t('nav.signup')),
    ),
  );
  view.append(form);
}
