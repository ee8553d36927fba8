// #/signup: create an account, then sign in with it.
import { api } from '../api.js';
import { field, h } from '../dom.js';
import { t } from '../i18n.js';
import { errorBox, submitting } from '../problems.js';
import { go } from '../router.js';
import * as session from '../session.js';
import { credentialFields, nextHash } from './credentials.js';

export function render(view, { query }) {
  const errors = errorBox();
  const { email, password, fields } = credentialFields(true);
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'name', maxlength: 100 });
  const form = h(
    'form',
    {
      class: 'panel',
      onsubmit: submitting(errors, async () => {
        const body = { email: email.value.trim(), password: password.value };
        if (name.value.trim()) body.name = name.value.trim();
        await api('POST', '/v1/users', { body });
        await session.signIn(body.email, body.password);
        go(nextHash(query));
      }),
    },
    h('h1', {}, t('signup.title')),
    field(t('account.name'), name),
    ...fields,
    errors.element,
    h('button', { type: 'submit' }, t('signup.submit')),
    h('p', {}, t('signup.have_account'), ' ', h('a', { href: '#/signin' }, t('nav.signin'))),
  );
  view.append(form);
}
