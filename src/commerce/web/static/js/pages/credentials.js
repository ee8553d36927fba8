// The e-mail and password fields that sign-up and sign-in share.
import { field, h } from '../dom.js';
import { t } from '../i18n.js';

export function credentialFields(newPassword) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: newPassword ? 'new-password' : 'current-password',
    minlength: newPassword ? 8 : null,
    maxlength: 128,
    required: true,
  });
  return {
    email,
    password,
    fields: [
      field(t('account.email'), email),
      field(t('account.password'), password, newPassword ? t('account.password_hint') : null),
    ],
  };
}

/** Where to go after signing in: the page that asked for it, else the catalog. */
export function nextHash(query) {
  const next = query.get('next') || '';
  return next.startsWith('#/') ? next : '#/';
}
