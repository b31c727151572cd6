// Bearer access token -> ctx.state.user (AuthUser), or 401.
import type { Context, Middleware, Next } from 'koa';
import type { AuthService, AuthUser } from '../services/auth';
import { HttpError } from './errors';

declare module 'koa' {
  interface DefaultState {
    user?: AuthUser;
  }
}

export const bearerToken = (ctx: Context): string | null => {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
};

export function authenticate(auth: AuthService): Middleware {
  return async (ctx: Context, next: Next) => {
    const token = bearerToken(ctx);
    const result = token ? await auth.authenticate(token) : null;
    if (!result) throw new HttpError('unauthorized', 'Not authenticated');
    ctx.state.user = result.user;
    return next();
  };
}

/** The authenticated caller in a route behind `authenticate`. */
export const currentUser = (ctx: Context): AuthUser => {
  const user = ctx.state.user;
  if (!user) throw new HttpError('unauthorized', 'Not authenticated');
  return user;
};
