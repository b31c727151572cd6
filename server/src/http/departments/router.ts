// GET /api/departments: public list with the number of agents online in each.
// GET /api/departments/:id/agents: the department's agents, for its own agents (whom to assign a conversation to).
import { Router } from '@koa/router';
import { type DepartmentAgent, schemas } from '@support-chat/protocol';
import type { AccountService } from '../../services/accounts';
import type { AuthService } from '../../services/auth';
import type { Presence } from '../../services/presence';
import { authenticate, currentUser } from '../authenticate';
import { httpError, parseInput } from '../errors';

export function departmentsRouter(auth: AuthService, accounts: AccountService, presence: Presence): Router {
  const router = new Router({ prefix: '/api' });
  router.get('/departments', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { departments: await accounts.listDepartments() };
  });

  router.get('/departments/:id/agents', authenticate(auth), async (ctx) => {
    const department = parseInput(schemas.departmentId, ctx.params.id);
    const user = currentUser(ctx);
    if (user.role === 'customer') throw httpError('forbidden', 'Only agents see the agents of a department');
    // Another department's agents are not yours to see: answered like an unknown department.
    if (!user.departments.includes(department)) throw httpError('not_found', 'No such department');
    const [agents, online] = await Promise.all([
      accounts.departmentAgents(department),
      presence.onlineAgents(department),
    ]);
    const onlineIds = new Set(online);
    const body: DepartmentAgent[] = agents.map((a) => ({ ...a, online: onlineIds.has(a.id) }));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { agents: body };
  });
  return router;
}
