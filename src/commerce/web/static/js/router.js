// Hash routes (#/products/<id>?q=...): a table that any part of the app can add to with
// route(); each page module exports render(view, {params, query, signal}).
import { h, replaceChildren } from './dom.js';
import { t } from './i18n.js';
import * as session from './session.js';

const routes = [];
let controller = null;

/** route('/orders/:id', () => import('./pages/order.js'), {signedIn: true, role: 'STAFF'}) */
export function route(pattern, load, { signedIn = false, role = null } = {}) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ regex: new RegExp(`^${source}$`), names, load, signedIn: signedIn || !!role, role });
}

export function currentLocation() {
  const [path, query = ''] = (location.hash.slice(1) || '/').split('?');
  return { path: path || '/', query: new URLSearchParams(query), hash: location.hash || '#/' };
}

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function match(path) {
  for (const entry of routes) {
    const found = entry.regex.exec(path);
    if (found) {
      const params = Object.fromEntries(
        entry.names.map((name, index) => [name, decodeURIComponent(found[index + 1])]),
      );
      return { entry, params };
    }
  }
  return null;
}

/** Draws the page of the current hash into the <main> element. */
export async function render() {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const view = document.getElementById('main');
  delete view.dataset.rendered;
  const { path, query, hash } = currentLocation();
  const found = match(path);
  if (!found) {
    show(view, t('page.not_found'));
    return;
  }
  const { entry, params } = found;
  if (entry.signedIn && !session.user()) {
    go(`#/signin?next=${encodeURIComponent(hash)}`);
    return;
  }
  if (entry.role && !session.hasRole(entry.role)) {
    show(view, t('page.forbidden'));
    return;
  }
  const page = await entry.load();
  if (signal.aborted) return;
  view.replaceChildren();
  await page.render(view, { params, query, signal });
  const heading = view.querySelector('h1');
  document.title = heading ? `${heading.textContent} · ${t('app.name')}` : t('app.name');
  view.dataset.rendered = hash; // which page is drawn, for the browser tests to wait on
}

function show(view, message) {
  replaceChildren(view, h('h1', {}, message), h('p', {}, h('a', { href: '#/' }, t('nav.catalog'))));
  document.title = t('app.name');
  view.dataset.rendered = location.hash || '#/';
}

export function start() {
  window.addEventListener('hashchange', () => {
    render();
    document.getElementById('main').focus({ preventScroll: true });
  });
  return render();
}
