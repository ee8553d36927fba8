// The operations console's routes, ADMIN only (its navigation entry, #/ops, is in nav.js).
import { route } from './router.js';

route('/ops', () => import('./pages/ops.js'), { role: 'ADMIN' });
route('/ops/:service/dead-letters', () => import('./pages/ops-dead-letters.js'), { role: 'ADMIN' });
route('/ops/:service/dead-letters/:id', () => import('./pages/ops-dead-letter.js'), { role: 'ADMIN' });
route('/ops/:service/audit', () => import('./pages/ops-audit.js'), { role: 'ADMIN' });
