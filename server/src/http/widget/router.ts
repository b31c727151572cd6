// The website widget over HTTP (SPEC §10): the loader script, the frame page (framable by the site's origins only),
// the frame's session endpoints under /api/widget, and the visitor profile agents see beside a conversation.
//
// Everything but /widget.js is used from the frame, which is a page of this server's own origin: the shop's origins
// never call the API or open sockets, so they need no entry in ALLOWED_ORIGINS and get no CORS answer.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Router } from '@koa/router';
import { schemas } from '@support-chat/protocol';
import type { Context } from 'koa';
import type { Config } from '../../config';
import type { Lifecycle } from '../../lifecycle';
import type { AuthService } from '../../services/auth';
import type { ConversationService } from '../../services/conversations';
import type { WidgetService } from '../../services/widget';
import { authenticate, currentUser } from '../authenticate';
import { fromApiError, HttpError, parseInput } from '../errors';
import { isOriginAllowed } from '../origin';
import { contentSecurityPolicy } from '../web/static';

const unwrap = <T>(
  r: { ok: true; data: T } | { ok: false; error: import('@support-chat/protocol').ApiError },
): T => {
  if (!r.ok) throw fromApiError(r.error);
  return r.data;
};

/** The frame's policy: the page's own, except that the site's origins (and only they) may frame it. */
export const frameSecurityPolicy = (host: string | undefined, origins: readonly string[]): string =>
  contentSecurityPolicy(host).replace("frame-ancestors 'none'", `frame-ancestors ${origins.join(' ')}`);

async function sendFile(ctx: Context, file: string, type: string, cache: string): Promise<boolean> {
  const s = await stat(file).catch(() => null);
  if (!s?.isFile()) return false;
  ctx.status = 200;
  ctx.type = type;
  ctx.length = s.size;
  ctx.lastModified = s.mtime;
  ctx.set('Cache-Control', cache);
  ctx.body = ctx.method === 'HEAD' ? null : createReadStream(file);
  return true;
}

/**
 * The credential also lives in a partitioned cookie (CHIPS: keyed by the shop's site, so it survives browsers that
 * block third-party cookies and storage, and no other site's page ever sends it); HttpOnly, so no script reads it.
 */
const cookieName = (site: string) => `sc_widget_${site}`;
const COOKIE_ATTRIBUTES = 'Path=/api/widget; HttpOnly; Secure; SameSite=None; Partitioned';

function setCredentialCookie(ctx: Context, site: string, credential: string, maxAgeSec: number) {
  ctx.append('Set-Cookie', `${cookieName(site)}=${credential}; Max-Age=${maxAgeSec}; ${COOKIE_ATTRIBUTES}`);
}

function clearCredentialCookie(ctx: Context, site: string) {
  ctx.append('Set-Cookie', `${cookieName(site)}=; Max-Age=0; ${COOKIE_ATTRIBUTES}`);
}

/** The body's credential, else the cookie's, which counts only from the frame itself (this server's origin). */
function credentialFrom(ctx: Context, site: string, fromBody: string | undefined): string | undefined {
  if (fromBody) return fromBody;
  const cookie = ctx.cookies.get(cookieName(site));
  if (!cookie || !/^[A-Za-z0-9_-]{20,128}$/.test(cookie)) return undefined;
  const origin = ctx.get('origin');
  return origin && isOriginAllowed(origin, ctx.host, []) ? cookie : undefined;
}

export function widgetRouter(
  deps: {
    auth: AuthService;
    widget: WidgetService;
    conversations: ConversationService;
    lifecycle: Lifecycle;
  },
  config: Pick<Config, 'webDistDir' | 'widgetSessionTtlSec'>,
): Router {
  const { webDistDir, widgetSessionTtlSec } = config;
  const { auth, widget, conversations, lifecycle } = deps;
  const router = new Router();
  const noStore = (ctx: Context) => ctx.set('Cache-Control', 'no-store');

  // The loader: loaded by <script src> on the shop's pages (no CORS needed); short cache so fixes reach shops.
  router.get('/widget.js', async (ctx) => {
    ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
    const sent = await sendFile(
      ctx,
      path.join(webDistDir, 'widget.js'),
      'text/javascript; charset=utf-8',
      'public, max-age=300',
    );
    if (!sent) throw new HttpError('not_found', 'The widget is not built (npm run build -w web)');
  });

  // The frame page: framable only by the site's exact origins.
  router.get('/widget/frame', async (ctx) => {
    const id = schemas.siteId.safeParse(ctx.query.site);
    const site = id.success ? await widget.findSite(id.data) : null;
    if (!site) throw new HttpError('not_found', 'No such site');
    ctx.set('Content-Security-Policy', frameSecurityPolicy(ctx.get('host') || undefined, site.origins));
    ctx.remove('X-Frame-Options');
    const sent = await sendFile(
      ctx,
      path.join(webDistDir, 'widget.html'),
      'text/html; charset=utf-8',
      'no-cache',
    );
    if (!sent) throw new HttpError('not_found', 'The widget is not built (npm run build -w web)');
  });

  const api = new Router({ prefix: '/api/widget' });
  api.use(async (ctx, next) => {
    noStore(ctx);
    await next();
  });

  api.get('/sites/:id', async (ctx) => {
    ctx.body = { site: unwrap(await widget.siteInfo(parseInput(schemas.siteId, ctx.params.id))) };
  });

  api.post('/sessions', async (ctx) => {
    const body = parseInput(schemas.WidgetStartBody, ctx.request.body);
    const answer = unwrap(await lifecycle.trackWrite(widget.startVisitor(body, ctx.ip)));
    if (answer.credential) setCredentialCookie(ctx, body.site, answer.credential, widgetSessionTtlSec);
    ctx.status = 201;
    ctx.body = answer;
  });

  api.post('/token', async (ctx) => {
    const body = parseInput(schemas.WidgetTokenBody, ctx.request.body);
    const credential = credentialFrom(ctx, body.site, body.credential);
    if (!credential) throw new HttpError('unauthorized', 'Not signed in to this site’s chat');
    const result = await lifecycle.trackWrite(widget.exchange({ site: body.site, credential }));
    if (!result.ok) {
      // Only a refused cookie is dropped: a frame's stale copy of a credential another tab rotated is not the cookie.
      if (result.error.code === 'unauthorized' && !body.credential) clearCredentialCookie(ctx, body.site);
      throw fromApiError(result.error);
    }
    if (result.data.credential)
      setCredentialCookie(ctx, body.site, result.data.credential, widgetSessionTtlSec);
    ctx.body = result.data;
  });

  api.post('/identify', async (ctx) => {
    const body = parseInput(schemas.WidgetIdentifyBody, ctx.request.body);
    const credential = credentialFrom(ctx, body.site, body.credential);
    const answer = unwrap(
      await lifecycle.trackWrite(
        widget.identify(
          { site: body.site, token: body.token, ...(credential ? { credential } : {}) },
          ctx.ip,
        ),
      ),
    );
    if (answer.credential) setCredentialCookie(ctx, body.site, answer.credential, widgetSessionTtlSec);
    ctx.body = answer;
  });

  api.post('/logout', async (ctx) => {
    const body = parseInput(schemas.WidgetTokenBody, ctx.request.body);
    // Both the frame's copy and the cookie: a stale copy alone would leave the current login behind.
    const credentials = new Set([body.credential, credentialFrom(ctx, body.site, undefined)]);
    for (const credential of credentials)
      if (credential) await lifecycle.trackWrite(widget.logout({ site: body.site, credential }));
    clearCredentialCookie(ctx, body.site);
    ctx.status = 204;
  });

  api.post('/page', authenticate(auth), async (ctx) => {
    const body = parseInput(schemas.WidgetPageBody, ctx.request.body);
    unwrap(await widget.recordPage(currentUser(ctx), body.department, body.pageUrl));
    ctx.status = 204;
  });

  api.post('/details', authenticate(auth), async (ctx) => {
    const body = parseInput(schemas.WidgetProfileBody, ctx.request.body);
    unwrap(await widget.updateDetails(currentUser(ctx), body));
    ctx.status = 204;
  });

  // Agents: who the customer of a conversation is, when they came through a site's widget.
  router.get('/api/conversations/:id/visitor', authenticate(auth), async (ctx) => {
    noStore(ctx);
    const actor = currentUser(ctx);
    if (actor.role === 'customer') throw new HttpError('forbidden', 'Agents only');
    const doc = unwrap(await conversations.get(actor, parseInput(schemas.objectId, ctx.params.id)));
    ctx.body = { visitor: await widget.profile(doc.customerId, doc.department) };
  });

  router.use(api.routes(), api.allowedMethods());
  return router;
}
