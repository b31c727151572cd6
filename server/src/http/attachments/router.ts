// Attachments over HTTP (SPEC §11): POST /api/conversations/:id/attachments takes the raw file as the body (streamed,
// never parsed as JSON: this router runs before the JSON body reader); GET /api/attachments/:id[?thumb=1] serves it
// to those who may read the conversation, never as a page of our origin; GET /api/attachments/limits for clients.
import { Readable } from 'node:stream';
import { Router } from '@koa/router';
import { isRasterImage, schemas } from '@support-chat/protocol';
import type { Context } from 'koa';
import type { AttachmentService } from '../../services/attachments';
import type { AuthService } from '../../services/auth';
import { authenticate, currentUser } from '../authenticate';
import { fromApiError, httpError, parseInput } from '../errors';

/** After a refusal, what is read and thrown away so that the client gets the answer; beyond it the connection ends. */
const DISCARD_CAP = 4 * 1024 * 1024;

/** Reads and discards the rest of a refused body, up to the cap; past the cap the connection closes after the answer. */
function discardRest(ctx: Context): Promise<void> {
  const req = ctx.req;
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', done);
      req.off('error', done);
      req.off('close', done);
      resolve();
    };
    const onData = (piece: Buffer) => {
      seen += piece.length;
      if (seen > DISCARD_CAP) {
        req.pause();
        ctx.set('Connection', 'close');
        done();
      }
    };
    req.on('data', onData);
    req.on('end', done);
    req.on('error', done);
    req.on('close', done);
    req.resume();
  });
}

/** `filename*` per RFC 6266/5987, with an ASCII fallback. */
export function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

const decodeName = (raw: string): string => {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw httpError('invalid_input', 'X-Filename must be percent-encoded UTF-8');
  }
};

export function attachmentsRouter(auth: AuthService, attachments: AttachmentService): Router {
  const router = new Router();

  router.post('/api/conversations/:id/attachments', authenticate(auth), async (ctx) => {
    const actor = currentUser(ctx);
    try {
      const conversationId = parseInput(schemas.objectId, ctx.params.id);
      const name = decodeName(ctx.get('x-filename'));
      const length = ctx.get('content-length');
      const declaredLength = length ? Number(length) : null;
      if (declaredLength !== null && !Number.isSafeInteger(declaredLength))
        throw httpError('invalid_input', 'Bad Content-Length');
      const result = await attachments.upload(actor, conversationId, {
        name,
        declaredType: ctx.get('content-type'),
        declaredLength,
        body: ctx.req,
      });
      if (!result.ok) throw fromApiError(result.error);
      ctx.set('Cache-Control', 'no-store');
      ctx.status = 201;
      ctx.body = { attachment: result.data };
    } catch (err) {
      // A refusal before the body was read (a declared length over the limit) closes the connection rather than
      // read it; any other leaves the client able to read the answer.
      const declared = Number(ctx.get('content-length') || 0);
      if (declared > attachments.limits.maxBytes) ctx.set('Connection', 'close');
      else await discardRest(ctx);
      throw err;
    }
  });

  router.get('/api/attachments/limits', authenticate(auth), (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = attachments.limits;
  });

  router.get('/api/attachments/:id', authenticate(auth), async (ctx) => {
    const actor = currentUser(ctx);
    const id = parseInput(schemas.objectId, ctx.params.id);
    const thumb = ctx.query.thumb === '1';
    const result = await attachments.open(actor, id, thumb);
    if (!result.ok) throw fromApiError(result.error);
    const { attachment, part, content } = result.data;
    const inline = isRasterImage(part.contentType);
    ctx.set('X-Content-Type-Options', 'nosniff');
    // Never a document of our origin: no scripts, no same-origin access, whatever the bytes are.
    ctx.set('Content-Security-Policy', 'sandbox');
    ctx.set('Cross-Origin-Resource-Policy', 'same-site');
    ctx.set('Cache-Control', 'private, max-age=86400');
    ctx.set(
      'Content-Disposition',
      contentDisposition(
        inline ? 'inline' : 'attachment',
        thumb ? `thumbnail-${attachment.name}.webp` : attachment.name,
      ),
    );
    ctx.type = part.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : part.contentType;
    ctx.length = part.size;
    ctx.body = Readable.from(content);
  });

  return router;
}
