// GET /api/conversations and GET /api/conversations/:id/messages (SPEC §3), for the signed-in customer or agent.
import { Router } from '@koa/router';
import { type ApiError, schemas } from '@support-chat/protocol';
import type { AppDeps } from '../../app';
import { chatFor } from '../../realtime/chat';
import { isDatabaseError } from '../../store/conversations';
import { authenticate, currentUser } from '../authenticate';
import { fromApiError, httpError, parseInput } from '../errors';

/** Database outages answer 503 unavailable (retry), not 500. */
const orUnavailable = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (err) {
    if (isDatabaseError(err)) throw httpError('unavailable', 'The database is not available, try again');
    throw err;
  }
};

const unwrap = <T>(r: { ok: true; data: T } | { ok: false; error: ApiError }): T => {
  if (!r.ok) throw fromApiError(r.error);
  return r.data;
};

export function conversationsRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/conversations' });
  router.use(authenticate(deps.services.auth));
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/', async (ctx) => {
    const chat = chatFor(deps);
    const actor = currentUser(ctx);
    const docs = await orUnavailable(() => chat.conversations.list(actor));
    ctx.body = { conversations: docs.map((d) => chat.conversations.summaryFor(actor, d)) };
  });

  router.get('/:id/messages', async (ctx) => {
    const chat = chatFor(deps);
    const actor = currentUser(ctx);
    const id = parseInput(schemas.objectId, ctx.params.id);
    const query = parseInput(schemas.MessagesQuery, { ...ctx.query });
    const result = await orUnavailable(() => chat.messages.history(actor, id, query));
    ctx.body = unwrap(result);
  });

  return router;
}
