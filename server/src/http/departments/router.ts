// GET /api/departments: public list with the number of agents online in each.
import { Router } from '@koa/router';
import type { AppDeps } from '../../app';

export function departmentsRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api' });
  router.get('/departments', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { departments: await deps.services.accounts.listDepartments(deps.presence) };
  });
  return router;
}
