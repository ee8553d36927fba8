// The one way pages call the API: JSON in and out, the bearer token when signed in, one
// retry after a refresh when the token expired, problem+json errors as ApiError.
import { ApiError } from './problems.js';
import * as session from './session.js';

export async function api(method, path, { body, headers = {}, retried = false } = {}) {
  const sent = { Accept: 'application/json', ...headers };
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  const bearer = session.token();
  if (bearer) sent.Authorization = `Bearer ${bearer}`;
  const response = await fetch(path, {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && bearer && !retried && (await session.refresh())) {
    return api(method, path, { body, headers, retried: true });
  }
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : {};
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => api('GET', path);

/** A path with its query; empty values are left out. */
export function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, value);
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
