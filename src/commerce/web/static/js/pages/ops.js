// #/ops: the operations console's home (ADMIN only). Its pages register their own routes
// and navigation entries; until then this page says where they will be.
import { h } from '../dom.js';
import { t } from '../i18n.js';

export function render(view) {
  view.append(h('h1', {}, t('ops.title')), h('p', {}, t('ops.soon')));
}
