// The header: links for who is signed in (entries can be added with navEntry), the
// language switch and sign-in / sign-out.
import { h, replaceChildren } from './dom.js';
import { LANGUAGES, language, setLanguage, t } from './i18n.js';
import { go } from './router.js';
import * as session from './session.js';

const signedIn = () => session.user() !== null;
const entries = [
  { href: '#/', key: 'nav.catalog', visible: () => true },
  { href: '#/cart', key: 'nav.cart', visible: signedIn },
  { href: '#/orders', key: 'nav.orders', visible: signedIn },
  { href: '#/sell', key: 'nav.sell', visible: signedIn },
  { href: '#/staff', key: 'nav.staff', visible: () => session.hasRole('STAFF') },
  { href: '#/ops', key: 'nav.ops', visible: () => session.hasRole('ADMIN') },
];

/** navEntry({href: '#/ops/dead-letters', key: 'nav.dead_letters', visible: () => ...}) */
export function navEntry(entry) {
  entries.push(entry);
}

export function drawHeader() {
  document.getElementById('brand').textContent = t('app.name');
  document.getElementById('skip-link').textContent = t('nav.skip');
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('nav.label'));
  const here = location.hash || '#/';
  replaceChildren(
    nav,
    h(
      'ul',
      {},
      entries
        .filter((entry) => entry.visible())
        .map((entry) =>
          h(
            'li',
            {},
            h(
              'a',
              { href: entry.href, 'aria-current': here === entry.href ? 'page' : null },
              t(entry.key),
            ),
          ),
        ),
    ),
  );
  replaceChildren(document.getElementById('tools'), languageSwitch(), account());
  document.getElementById('footer').textContent = t('footer.note');
}

function languageSwitch() {
  // One button per language, the current one pressed: visible, and one key press away.
  return h(
    'div',
    { class: 'languages', role: 'group', 'aria-label': t('language.label') },
    LANGUAGES.map((lang) =>
      h(
        'button',
        {
          type: 'button',
          class: 'lang',
          lang,
          'aria-pressed': String(lang === language()),
          onclick: () => setLanguage(lang),
        },
        t(`language.${lang}`),
      ),
    ),
  );
}

function account() {
  const current = session.user();
  if (!current) {
    return h(
      'div',
      { class: 'account' },
      h('a', { href: '#/signin', class: 'button secondary' }, t('nav.signin')),
      h('a', { href: '#/signup', class: 'button' }, t('nav.signup')),
    );
  }
  return h(
    'div',
    { class: 'account' },
    h('span', { class: 'who' }, current.email),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          await session.signOut();
          go('#/');
        },
      },
      t('nav.signout'),
    ),
  );
}
