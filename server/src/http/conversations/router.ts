// GET /api/conversations (SPEC §3; for agents the paged inbox of SPEC §15) and GET /api/conversations/:id/messages,
// for the signed-in customer or agent.
import { Router } from '@koa/router';
import { type ApiError, type InboxPage, schemas } from '@support-chat/protocol';
import type { AuthService } from '../../services/auth';
import type { ConversationService } from '../../services/conversations';
import type { InboxService } from '../../services/inbox';
import type { MessageService } from '../../services/messages';
import { authenticate, currentUser } from '../authenticate';
import { fromApiError, httpError, parseInput } from '../errors';

const unwrap = <T>(r: { ok: true; data: T } | { ok: false; error: ApiError }): T => {
  if (!r.ok) throw fromApiError(r.error);
  return r.data;
};

export function conversationsRouter(
  auth: AuthService,
  conversations: ConversationService,
  messages: MessageService,
  inbox: InboxService,
): Router {
  const router = new Router({ prefix: '/api/conversations' });
  router.use(authenticate(auth));
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/', async (ctx) => {
    const actor = currentUser(ctx);
    if (actor.role === 'customer') {
      // Customers keep the plain list (one conversation per department); the inbox parameters are for agents.
      const given = Object.keys(ctx.query);
      if (given.length > 0)
        throw httpError(
          'invalid_input',
          `${given.join(', ')}: only agents page the inbox; customers list their conversations`,
        );
      const docs = await conversations.listOwn(actor);
      ctx.body = { conversations: docs.map((d) => conversations.summaryFor(actor, d)) };
      return;
    }
    const query = parseInput(schemas.InboxQuery, { ...ctx.query });
    const page = unwrap(await inbox.page(actor, query));
    const body: InboxPage = {
      conversations: page.docs.map((d) => conversations.summaryFor(actor, d)),
      nextCursor: page.nextCursor,
      counts: inbox.counters.countsFor(actor.id, actor.departments),
    };
    ctx.body = body;
  });

  router.get('/:id/messages', async (ctx) => {
    const actor = currentUser(ctx);
    const id = parseInput(schemas.objectId, ctx.params.id);
    const query = parseInput(schemas.MessagesQuery, { ...ctx.query });
    const result = await messages.history(actor, id, query);
    ctx.body = unwrap(result);
  });

  return router;
}
