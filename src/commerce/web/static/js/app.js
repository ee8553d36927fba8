// Start-up: dictionaries, then the session restored from the refresh cookie, then the page.
import { drawHeader } from './nav.js';
import { loadDictionaries } from './i18n.js';
import { render, start } from './router.js';
import * as session from './session.js';
import './routes.js';

// Set once per page load: the browser tests check it survives, i.e. nothing reloaded.
window.commerceLoadedAt = window.commerceLoadedAt || Date.now();

async function boot() {
  await loadDictionaries();
  await session.refresh();
  drawHeader();
  session.onChange(drawHeader);
  window.addEventListener('hashchange', drawHeader);
  window.addEventListener('languagechange-app', () => {
    drawHeader();
    render();
  });
  await start();
  document.body.dataset.ready = 'true';
}

boot();
