// GET /api/conversations and GET /api/conversations/:id/messages (SPEC §3), for the signed-in customer or agent.
import { Router } from '@koa/router';
import { type ApiError, schemas } from '@support-chat/protocol';
import type { AuthService } from '../../services/auth';
import type { ConversationService } from '../../services/conversations';
import type { MessageService } from '../../services/messages';
import { authenticate, currentUser } from '../authenticate';
import { fromApiError, parseInput } from '../errors';

const unwrap = <T>(r: { ok: true; data: T } | { ok: false; error: ApiError }): T => {
  if (!r.ok) throw fromApiError(r.error);
  return r.data;
};

export function conversationsRouter(
  auth: AuthService,
  conversations: ConversationService,
  messages: MessageService,
): Router {
  const router = new Router({ prefix: '/api/conversations' });
  router.use(authenticate(auth));
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/', async (ctx) => {
    const actor = currentUser(ctx);
    const docs = await conversations.list(actor);
    ctx.body = { conversations: docs.map((d) => conversations.summaryFor(actor, d)) };
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
