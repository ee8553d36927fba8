// Korean and English: every text on the page comes from static/i18n/<lang>.json.
// Other parts of the app add their own keys with extend(); a missing Korean text falls back
// to English, a missing English one shows its key (easy to spot in review).

export const LANGUAGES = ['en', 'ko'];
const STORAGE_KEY = 'commerce.lang';
const dictionaries = { en: {}, ko: {} };
let current = 'en';

export async function loadDictionaries() {
  await Promise.all(
    LANGUAGES.map(async (lang) => {
      const response = await fetch(`/assets/i18n/${lang}.json`);
      extend(lang, await response.json());
    }),
  );
  current = preferredLanguage();
  document.documentElement.lang = current;
}

export function extend(lang, entries) {
  Object.assign(dictionaries[lang], entries);
}

function preferredLanguage() {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

export function language() {
  return current;
}

/** Switches, remembers the choice, and tells the app to draw itself again. */
export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  window.dispatchEvent(new CustomEvent('languagechange-app'));
}

/** t('cart.total'), t('order.title', {id}) */
export function t(key, values = {}) {
  const text = dictionaries[current][key] ?? dictionaries.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

/** A key's text when there is one, else null (for codes the API may add later). */
export function maybe(key) {
  return dictionaries[current][key] ?? dictionaries.en[key] ?? null;
}

export function price(amount) {
  if (amount === null || amount === undefined) return t('price.pending');
  return new Intl.NumberFormat(current, { style: 'currency', currency: 'KRW' }).format(amount);
}

export function dateTime(text) {
  if (!text) return '';
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(text),
  );
}

/** A status, reason or payment code in the reader's language (the code itself if unknown). */
export function code(kind, value) {
  return value ? (maybe(`${kind}.${value}`) ?? value) : '';
}
