// The owner console's API under /api/admin (SPEC §13): 401 without a token, 403 for every role but `owner`.
// CSRF: every call carries `Authorization: Bearer` (no cookie is honoured here), which another site cannot make a
// browser send. Every body and query goes through the protocol's adminSchemas; every change is audited by the
// OwnerConsole service.
import { Router } from '@koa/router';
import { adminSchemas, type Result, schemas } from '@support-chat/protocol';
import type { Context, Next } from 'koa';
import type { AuthService } from '../../services/auth';
import type { AuditActor, OwnerConsole } from '../../services/owner-console';
import type { ReportService } from '../../services/reports';
import { authenticate, currentUser } from '../authenticate';
import { fromApiError, httpError, parseInput } from '../errors';

const unwrap = <T>(result: Result<T>): T => {
  if (!result.ok) throw fromApiError(result.error);
  return result.data;
};

/** The signed-in owner, as the audit log names them. */
const owner = (ctx: Context): AuditActor => {
  const { id, username } = currentUser(ctx);
  return { kind: 'owner', id, username };
};

export function adminRouter(auth: AuthService, ownerConsole: OwnerConsole, reports: ReportService): Router {
  const router = new Router({ prefix: '/api/admin' });
  router.use(authenticate(auth), async (ctx: Context, next: Next) => {
    if (currentUser(ctx).role !== 'owner') throw httpError('forbidden', 'Only the owner may use the console');
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  // ---- departments ----
  router.get('/departments', async (ctx) => {
    ctx.body = { departments: await ownerConsole.listDepartments() };
  });
  router.post('/departments', async (ctx) => {
    const body = parseInput(adminSchemas.CreateDepartmentBody, ctx.request.body);
    ctx.status = 201;
    ctx.body = { department: unwrap(await ownerConsole.createDepartment(owner(ctx), body)) };
  });
  router.patch('/departments/:id', async (ctx) => {
    const id = parseInput(schemas.departmentId, ctx.params.id);
    const { name } = parseInput(adminSchemas.RenameDepartmentBody, ctx.request.body);
    ctx.body = { department: unwrap(await ownerConsole.renameDepartment(owner(ctx), id, name)) };
  });

  // ---- agents (named by id in paths) ----
  const agentName = async (ctx: Context) =>
    unwrap(await ownerConsole.agentUsername(parseInput(schemas.objectId, ctx.params.id)));
  const agentAnswer = async (ctx: Context, username: string) => {
    const agent = (await ownerConsole.listAgents()).find((a) => a.username === username);
    if (!agent) throw httpError('not_found', 'No such agent');
    ctx.body = { agent };
  };
  router.get('/agents', async (ctx) => {
    ctx.body = { agents: await ownerConsole.listAgents() };
  });
  router.post('/agents', async (ctx) => {
    const body = parseInput(adminSchemas.CreateAgentBody, ctx.request.body);
    const { user } = unwrap(await ownerConsole.createAgent(owner(ctx), body));
    await agentAnswer(ctx, user.username);
    ctx.status = 201;
  });
  router.post('/agents/:id/disable', async (ctx) => {
    const username = await agentName(ctx);
    parseInput(adminSchemas.EmptyBody, ctx.request.body ?? {});
    unwrap(await ownerConsole.disableUser(owner(ctx), { username }));
    await agentAnswer(ctx, username);
  });
  router.post('/agents/:id/enable', async (ctx) => {
    const username = await agentName(ctx);
    parseInput(adminSchemas.EmptyBody, ctx.request.body ?? {});
    unwrap(await ownerConsole.enableUser(owner(ctx), { username }));
    await agentAnswer(ctx, username);
  });
  router.post('/agents/:id/password', async (ctx) => {
    const username = await agentName(ctx);
    const { password } = parseInput(adminSchemas.ResetPasswordBody, ctx.request.body);
    unwrap(await ownerConsole.resetPassword(owner(ctx), { username, password }));
    await agentAnswer(ctx, username);
  });
  router.put('/agents/:id/departments', async (ctx) => {
    const username = await agentName(ctx);
    const { departments } = parseInput(adminSchemas.AgentDepartmentsBody, ctx.request.body);
    unwrap(await ownerConsole.setDepartments(owner(ctx), { username, departments }));
    await agentAnswer(ctx, username);
  });

  // ---- sites of the widget ----
  router.get('/sites', async (ctx) => {
    ctx.body = { sites: await ownerConsole.listSites() };
  });
  router.post('/sites', async (ctx) => {
    const body = parseInput(adminSchemas.CreateSiteBody, ctx.request.body);
    ctx.status = 201;
    // The secret is in this answer only (stored sealed): the ownerConsole shows it once.
    ctx.body = unwrap(await ownerConsole.createSite(owner(ctx), body));
  });
  router.patch('/sites/:id', async (ctx) => {
    const id = parseInput(schemas.siteId, ctx.params.id);
    const change = parseInput(adminSchemas.UpdateSiteBody, ctx.request.body);
    ctx.body = unwrap(await ownerConsole.updateSite(owner(ctx), id, change));
  });
  router.post('/sites/:id/rotate-secret', async (ctx) => {
    const id = parseInput(schemas.siteId, ctx.params.id);
    parseInput(adminSchemas.EmptyBody, ctx.request.body ?? {});
    ctx.body = unwrap(await ownerConsole.rotateSiteSecret(owner(ctx), id));
  });
  router.post('/sites/:id/end-sessions', async (ctx) => {
    const id = parseInput(schemas.siteId, ctx.params.id);
    parseInput(adminSchemas.EmptyBody, ctx.request.body ?? {});
    ctx.body = unwrap(await ownerConsole.endSiteSessions(owner(ctx), id));
  });

  // ---- canned replies ----
  router.get('/canned-replies', async (ctx) => {
    const { department } = parseInput(adminSchemas.CannedRepliesQuery, ctx.query);
    ctx.body = { replies: await ownerConsole.listCannedReplies(department) };
  });
  router.post('/canned-replies', async (ctx) => {
    const body = parseInput(adminSchemas.CreateCannedReplyBody, ctx.request.body);
    ctx.status = 201;
    ctx.body = unwrap(await ownerConsole.createCannedReply(owner(ctx), body));
  });
  router.delete('/canned-replies/:id', async (ctx) => {
    const id = parseInput(schemas.objectId, ctx.params.id);
    ctx.body = unwrap(await ownerConsole.deleteCannedReply(owner(ctx), id));
  });

  // ---- audit log and reports ----
  router.get('/audit', async (ctx) => {
    const query = parseInput(adminSchemas.AuditQuery, ctx.query);
    ctx.body = { entries: await ownerConsole.auditLog(query) };
  });
  router.get('/reports', async (ctx) => {
    const query = parseInput(adminSchemas.ReportsQuery, ctx.query);
    ctx.body = { report: await reports.report(query) };
  });
  return router;
}
