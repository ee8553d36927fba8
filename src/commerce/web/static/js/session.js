// The signed-in user. The access token lives in this module's memory only (never in
// localStorage or sessionStorage); the refresh token is an HttpOnly cookie that auth sets
// and only its refresh and logout paths receive (cookie mode, docs/adr/0130), so a page
// reload restores the session through refresh() and no script can read the refresh token.
import { ApiError } from './problems.js';

const COOKIE_MODE = { 'X-Refresh-Token-Transport': 'cookie' };
const EARLY_SECONDS = 60;
let accessToken = null;
let claims = null;
let refreshTimer = null;
let refreshing = null;
const listeners = new Set();

function decodeClaims(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

async function authCall(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...COOKIE_MODE },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function adopt(tokens) {
  accessToken = tokens.access_token;
  claims = decodeClaims(accessToken);
  clearTimeout(refreshTimer);
  const seconds = Math.max(10, (tokens.expires_in || 900) - EARLY_SECONDS);
  refreshTimer = setTimeout(() => refresh(), seconds * 1000);
  notify();
}

function forget() {
  const had = accessToken !== null;
  accessToken = null;
  claims = null;
  clearTimeout(refreshTimer);
  if (had) notify();
}

function notify() {
  for (const listener of listeners) listener();
}

export function token() {
  return accessToken;
}

export function user() {
  if (!claims) return null;
  return { id: claims.sub, email: claims.email, roles: claims.roles || [] };
}

export function hasRole(role) {
  return Boolean(claims && (claims.roles || []).includes(role));
}

export function onChange(listener) {
  listeners.add(listener);
}

export async function signIn(email, password) {
  adopt(await authCall('/v1/auth/login', { email, password }));
}

/** A new access token from the refresh cookie; false when there is no session to restore.
 * One refresh at a time: the refresh token is single use, and a second concurrent refresh
 * with the same cookie would look like theft and revoke the whole session. */
export function refresh() {
  refreshing ??= authCall('/v1/auth/refresh', {})
    .then((tokens) => {
      adopt(tokens);
      return true;
    })
    .catch(() => {
      forget();
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function signOut() {
  try {
    await authCall('/v1/auth/logout', {});
  } catch (error) {
    // 401: the cookie was already dead (expired, revoked elsewhere): signed out all the same.
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  } finally {
    forget();
  }
}
