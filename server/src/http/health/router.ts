// GET /api/health (process up), GET /api/ready (database answers), GET /metrics (Prometheus).
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from '@koa/router';
import type { Lifecycle } from '../../lifecycle';
import { registry } from '../../metrics';
import { bearerToken } from '../authenticate';
import { HttpError } from '../errors';

const digest = (s: string) => createHash('sha256').update(s).digest();
// Equal-length digests so the comparison takes the same time whatever was guessed.
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

export function healthRouter(opts: {
  lifecycle: Lifecycle;
  /** Whether the database answers within the time given. */
  databaseAnswers(timeoutMs: number): Promise<boolean>;
  metricsToken: string | null;
  /** Off: /metrics answers 404 (production without a token). */
  metricsEnabled: boolean;
}): Router {
  const router = new Router();

  router.get('/api/health', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });

  router.get('/api/ready', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (opts.lifecycle.closing) throw new HttpError('unavailable', 'Shutting down');
    if (!(await opts.databaseAnswers(1000)))
      throw new HttpError('unavailable', 'The database does not answer');
    ctx.body = { status: 'ready' };
  });

  router.get('/metrics', async (ctx) => {
    if (!opts.metricsEnabled) throw new HttpError('not_found', 'Not found');
    const token = opts.metricsToken;
    if (token && !sameSecret(bearerToken(ctx) ?? '', token))
      throw new HttpError('unauthorized', 'Metrics need the METRICS_TOKEN');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });

  return router;
}
