// The API's errors (problem+json, RFC 9457) as exceptions, and how a form shows them.
import { h, replaceChildren } from './dom.js';
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** An empty live region placed next to a form; show() fills it, clear() empties it. */
export function errorBox() {
  const box = h('div', { class: 'error', role: 'alert', hidden: true });
  return {
    element: box,
    show(error) {
      const problem = error instanceof ApiError ? error.problem : {};
      const detail = problem.detail || (error instanceof ApiError ? '' : error.message);
      const lines = (problem.errors || []).map(
        (each) => h('li', {}, [each.field, each.message].filter(Boolean).join(': ')),
      );
      replaceChildren(box, detail || t('error.generic'), lines.length ? h('ul', {}, lines) : null);
      box.hidden = false;
    },
    clear() {
      box.hidden = true;
      replaceChildren(box);
    },
  };
}

/** Runs action(); an error it throws is shown in `errors` (the result is then undefined). */
export async function attempt(errors, action) {
  errors.clear();
  try {
    return await action();
  } catch (error) {
    errors.show(error);
    return undefined;
  }
}

/** A form's submit handler: no page load, old errors cleared, new ones shown. */
export function submitting(errors, action) {
  return (event) => {
    event.preventDefault();
    return attempt(errors, action);
  };
}
