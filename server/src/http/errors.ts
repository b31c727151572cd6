// One error shape for every HTTP answer: {"error":{code,message}} with the status of the code. Never a stack.
import { type ApiError, describeIssues, type ErrorCode, errorStatus } from '@support-chat/protocol';
import type { Context, Middleware, Next } from 'koa';
import type { z } from 'zod';
import { createLogger } from '../log';
import { StoreUnavailableError } from '../store/errors';

const log = createLogger('http');

export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Partial<Omit<ApiError, 'code' | 'message'>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = errorStatus[code];
  }

  toBody(): { error: ApiError } {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

/** `throw httpError('not_found', 'No such conversation')` anywhere below the error middleware. */
export const httpError = (
  code: ErrorCode,
  message: string,
  extra?: Partial<Omit<ApiError, 'code' | 'message'>>,
) => new HttpError(code, message, extra);

/** A service's failed Result as a throwable HTTP error. */
export const fromApiError = (error: ApiError): HttpError => {
  const { code, message, ...extra } = error;
  return new HttpError(code, message, extra);
};

/** Parses input with a zod schema, or throws 400 invalid_input listing the wrong fields. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new HttpError('invalid_input', 'Invalid input', { issues: describeIssues(parsed.error) });
  }
  return parsed.data;
}

/** Maps anything thrown (ours, Koa's http-errors, body parsing) to an HttpError. */
export function toApiError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  // A database outage is a temporary condition for the client, not a bug: 503 so clients retry.
  if (err instanceof StoreUnavailableError) {
    return new HttpError('unavailable', 'The service is temporarily unavailable; try again');
  }
  const e = err as {
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
    type?: unknown;
  };
  const status =
    typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return new HttpError('payload_too_large', 'Request body too large');
  if (status === 401) return new HttpError('unauthorized', 'Not authenticated');
  if (status === 403) return new HttpError('forbidden', 'Not allowed');
  if (status === 404) return new HttpError('not_found', 'Not found');
  if (status === 405) return new HttpError('method_not_allowed', 'Method not allowed');
  if (status === 429) return new HttpError('rate_limited', 'Too many requests');
  if (status === 503) return new HttpError('unavailable', 'Service unavailable');
  if (status >= 400 && status < 500) return new HttpError('invalid_input', 'Invalid request');
  return new HttpError('internal_error', 'Internal error');
}

/** Top of the chain: shapes every error; logs 5xx with the stack (logs only, never the body). */
export const errorMiddleware: Middleware = async (ctx: Context, next: Next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined && ctx.path.startsWith('/api')) {
      throw new HttpError('not_found', 'Not found');
    }
    // The routers' allowedMethods() answers 405 with an Allow header and no body.
    if (ctx.status === 405 && !ctx.body) throw new HttpError('method_not_allowed', 'Method not allowed');
  } catch (err) {
    const apiError = toApiError(err);
    if (apiError.status >= 500) {
      log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.app.emit('apiError', apiError, ctx);
    }
    ctx.status = apiError.status;
    if (apiError.code === 'rate_limited' && typeof apiError.extra.retryAfterMs === 'number') {
      ctx.set('Retry-After', String(Math.max(1, Math.ceil(apiError.extra.retryAfterMs / 1000))));
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.body = apiError.toBody();
  }
};
