// GET /api/me: the caller's own user.
import { Router } from '@koa/router';
import type { AppDeps } from '../../app';
import { authenticate, currentUser } from '../authenticate';

export function meRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api' });
  router.get('/me', authenticate(deps.services.auth), (ctx) => {
    const { id, username, role, departments } = currentUser(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { user: { id, username, role, departments } };
  });
  return router;
}
