// The route table of the storefront. The operations console adds its own routes (and
// navigation entries) the same way, from its own module.
import './ops-routes.js';
import { route } from './router.js';

route('/', () => import('./pages/catalog.js'));
route('/products/:id', () => import('./pages/product.js'));
route('/signup', () => import('./pages/signup.js'));
route('/signin', () => import('./pages/signin.js'));
route('/cart', () => import('./pages/cart.js'), { signedIn: true });
route('/orders', () => import('./pages/orders.js'), { signedIn: true });
route('/orders/:id', () => import('./pages/order.js'), { signedIn: true });
route('/sell', () => import('./pages/sell.js'), { signedIn: true });
route('/sell/new', () => import('./pages/product-form.js'), { signedIn: true });
route('/sell/:id', () => import('./pages/product-form.js'), { signedIn: true });
route('/staff', () => import('./pages/staff.js'), { role: 'STAFF' });
