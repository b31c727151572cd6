// Serves the built customer page (web/dist) at `/`: hashed assets cached for a year, index.html never cached,
// unknown non-API paths answer index.html (client-side routes). Security headers on every answer.
import { createReadStream, existsSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context, Middleware, Next } from 'koa';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

/** The page's Content-Security-Policy; WebSocket origins of the host are listed for browsers whose 'self' omits ws:. */
export function contentSecurityPolicy(host: string | undefined): string {
  const ws = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `connect-src 'self'${ws}`,
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Security headers for every answer (the API's JSON included: harmless there, and nothing is forgotten). */
export const securityHeaders: Middleware = async (ctx: Context, next: Next) => {
  ctx.set('Content-Security-Policy', contentSecurityPolicy(ctx.get('host') || undefined));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  // Only over https (ctx.secure follows X-Forwarded-Proto with TRUST_PROXY): browsers ignore it on http anyway.
  if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  return next();
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Support chat</title></head>
<body><h1>Support chat</h1><p>The server is running, but the web page is not built.</p>
<p>Build it with <code>npm run build -w web</code> (or start with <code>npm start</code>, which builds it), then reload.</p>
</body></html>
`;

const isApiPath = (p: string) =>
  p === '/api' || p.startsWith('/api/') || p.startsWith('/socket.io') || p === '/metrics';

export function webPage(distDir: string): Middleware {
  const root = path.resolve(distDir);
  const indexFile = path.join(root, 'index.html');
  // The owner console (SPEC §13) is its own page at /admin; its API is owner-only, the page itself is public.
  const adminFile = path.join(root, 'admin.html');

  const fileStat = async (file: string): Promise<Stats | null> => {
    try {
      const s = await stat(file);
      return s.isFile() ? s : null;
    } catch {
      return null;
    }
  };

  const send = (ctx: Context, file: string, s: Stats, cache: string) => {
    ctx.status = 200;
    ctx.type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    ctx.length = s.size;
    ctx.lastModified = s.mtime;
    ctx.set('Cache-Control', cache);
    ctx.body = ctx.method === 'HEAD' ? null : createReadStream(file);
  };

  return async (ctx: Context, next: Next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || isApiPath(ctx.path)) return next();

    if (!existsSync(indexFile)) {
      ctx.status = 200;
      ctx.type = 'text/html; charset=utf-8';
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = NOT_BUILT;
      return;
    }

    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path);
    } catch {
      rel = '/';
    }
    // Resolve inside dist only: no NUL, no dot-files, no escaping upwards.
    const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
    const inside = file.startsWith(root + path.sep) && !rel.includes('\0') && !/\/\./.test(rel);
    if (inside && file !== indexFile) {
      const s = await fileStat(file);
      if (s) {
        const hashed = rel.startsWith('/assets/');
        send(ctx, file, s, hashed ? IMMUTABLE : 'no-cache');
        return;
      }
      // A missing asset is a 404, not the page (a stale hashed name must not get HTML).
      if (rel.startsWith('/assets/') || path.extname(rel)) {
        ctx.status = 404;
        ctx.type = 'text/plain; charset=utf-8';
        ctx.set('Cache-Control', 'no-cache');
        ctx.body = 'Not found';
        return;
      }
    }
    const page = rel === '/admin' || rel.startsWith('/admin/') ? adminFile : indexFile;
    const s = await fileStat(page);
    if (!s) return next();
    send(ctx, page, s, 'no-cache');
  };
}
