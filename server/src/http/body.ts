// JSON request bodies with a hard size limit: over the limit is 413, malformed JSON 400, other types 400.
import type { Context, Middleware, Next } from 'koa';
import { HttpError } from './errors';

declare module 'koa' {
  interface Request {
    /** Parsed JSON body (`{}` when empty); validate with a schema before use. */
    body?: unknown;
  }
}

const readBody = (ctx: Context, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const req = ctx.req;
    const finish = (err: Error | null, body?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) {
        // Stop reading a body we refuse; the response still goes out.
        req.resume();
        reject(err);
      } else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new HttpError('payload_too_large', `Request body over ${limit} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks));
    const onError = () => finish(new HttpError('invalid_input', 'Request body could not be read'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });

/** Parses JSON bodies of POST/PUT/PATCH into ctx.request.body (`{}` when empty). */
export function jsonBody(limit: number): Middleware {
  return async (ctx: Context, next: Next) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method)) return next();
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > limit) throw new HttpError('payload_too_large', `Request body over ${limit} bytes`);
    const raw = await readBody(ctx, limit);
    let body: unknown = {};
    if (raw.length > 0) {
      if (!ctx.is('application/json'))
        throw new HttpError('invalid_input', 'Send a JSON body (Content-Type: application/json)');
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError('invalid_input', 'Malformed JSON body');
      }
    }
    ctx.request.body = body;
    return next();
  };
}
