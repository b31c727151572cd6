// POST /api/auth/{register,login,refresh,logout}. The refresh token travels in the body or the sc_refresh cookie.
import { Router } from '@koa/router';
import { schemas } from '@support-chat/protocol';
import type { Context } from 'koa';
import type { Config } from '../../config';
import type { Lifecycle } from '../../lifecycle';
import type { AuthResult, AuthService } from '../../services/auth';
import { fromApiError, HttpError, parseInput } from '../errors';
import { isOriginAllowed } from '../origin';

export const REFRESH_COOKIE = 'sc_refresh';
const COOKIE_PATH = '/api/auth';

function setRefreshCookie(ctx: Context, token: string, maxAgeSec: number) {
  ctx.cookies.set(REFRESH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: COOKIE_PATH,
    secure: ctx.secure,
    maxAge: maxAgeSec * 1000,
    overwrite: true,
  });
}

function clearRefreshCookie(ctx: Context) {
  ctx.cookies.set(REFRESH_COOKIE, '', {
    httpOnly: true,
    sameSite: 'strict',
    path: COOKIE_PATH,
    secure: ctx.secure,
    maxAge: 0,
    expires: new Date(0),
    overwrite: true,
  });
}

/** The body's token, else the cookie's, which is only honoured from an allowed Origin (CSRF). */
function refreshTokenFrom(
  ctx: Context,
  body: { refreshToken?: string | undefined },
  allowed: readonly string[],
) {
  if (body.refreshToken) return body.refreshToken;
  const cookie = ctx.cookies.get(REFRESH_COOKIE);
  if (!cookie) return null;
  const origin = ctx.get('origin');
  if (!origin || !isOriginAllowed(origin, ctx.host, allowed)) {
    throw new HttpError('forbidden', 'Cookie-based refresh needs a request from an allowed origin');
  }
  return cookie;
}

/** The body carries the refresh token unless it is to stay in the HttpOnly cookie (out of a page script's reach). */
const answer = (r: AuthResult, tokenInBody = true) => ({
  user: r.user,
  accessToken: r.accessToken,
  ...(tokenInBody ? { refreshToken: r.refreshToken } : {}),
});

export function authRouter(
  auth: AuthService,
  lifecycle: Lifecycle,
  config: Pick<Config, 'refreshTokenTtlSec' | 'allowedOrigins'>,
): Router {
  const router = new Router({ prefix: '/api/auth' });

  router.post('/register', async (ctx) => {
    const body = parseInput(schemas.RegisterBody, ctx.request.body);
    const result = await lifecycle.trackWrite(auth.register(body, ctx.ip));
    if (!result.ok) throw fromApiError(result.error);
    setRefreshCookie(ctx, result.data.refreshToken, config.refreshTokenTtlSec);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = answer(result.data);
  });

  router.post('/login', async (ctx) => {
    const body = parseInput(schemas.LoginBody, ctx.request.body);
    const result = await lifecycle.trackWrite(auth.login(body, ctx.ip));
    if (!result.ok) throw fromApiError(result.error);
    setRefreshCookie(ctx, result.data.refreshToken, config.refreshTokenTtlSec);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = answer(result.data);
  });

  router.post('/refresh', async (ctx) => {
    const body = parseInput(schemas.RefreshBody, ctx.request.body);
    const token = refreshTokenFrom(ctx, body, config.allowedOrigins);
    if (!token) throw new HttpError('unauthorized', 'No refresh token');
    const result = await lifecycle.trackWrite(auth.refresh(token));
    if (!result.ok) {
      clearRefreshCookie(ctx);
      throw fromApiError(result.error);
    }
    setRefreshCookie(ctx, result.data.refreshToken, config.refreshTokenTtlSec);
    ctx.set('Cache-Control', 'no-store');
    // Presented through the cookie (the web page, or a script injected into it): the new one stays there too.
    ctx.body = answer(result.data, Boolean(body.refreshToken));
  });

  router.post('/logout', async (ctx) => {
    const body = parseInput(schemas.LogoutBody, ctx.request.body);
    const token = refreshTokenFrom(ctx, body, config.allowedOrigins);
    if (token) await lifecycle.trackWrite(auth.logout(token));
    clearRefreshCookie(ctx);
    ctx.status = 204;
  });

  return router;
}
