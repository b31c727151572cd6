// GET /api/me: the caller's own user.
import { Router } from '@koa/router';
import type { AuthService } from '../../services/auth';
import { authenticate, currentUser } from '../authenticate';

export function meRouter(auth: AuthService): Router {
  const router = new Router({ prefix: '/api' });
  router.get('/me', authenticate(auth), (ctx) => {
    const { id, username, role, departments } = currentUser(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { user: { id, username, role, departments } };
  });
  return router;
}
