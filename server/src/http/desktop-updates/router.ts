// The desktop app's update feed (electron-updater's generic provider): what `npm run desktop:dist` builds
// (latest*.yml, installers, blockmaps), dropped by the owner in DESKTOP_UPDATES_DIR, served read-only at
// /desktop/updates/<file>. Flat names only, real paths inside the folder, one byte range per request.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context, Middleware, Next } from 'koa';
import parseRange from 'range-parser';

const DESKTOP_UPDATES_PATH = '/desktop/updates/';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const EXTENSIONS = new Set(['.yml', '.exe', '.zip', '.dmg', '.appimage', '.deb', '.blockmap']);

/** The regular file `name` names inside `dir` (symlinks followed, never out of it), or null. */
async function feedFile(dir: string, name: string): Promise<{ file: string; size: number } | null> {
  if (!NAME.test(name) || !EXTENSIONS.has(path.extname(name).toLowerCase())) return null;
  try {
    const root = await realpath(dir);
    const file = await realpath(path.join(root, name));
    if (path.dirname(file) !== root) return null;
    const s = await stat(file);
    return s.isFile() ? { file, size: s.size } : null;
  } catch {
    return null;
  }
}

const notFound = (ctx: Context) => {
  ctx.status = 404;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = 'Not found';
};

export function desktopUpdates(dir: string | null): Middleware {
  return async (ctx: Context, next: Next) => {
    if (!ctx.path.startsWith(DESKTOP_UPDATES_PATH)) return next();
    ctx.set('Content-Security-Policy', 'sandbox');
    ctx.set('Cache-Control', 'no-cache');
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      return;
    }
    // ctx.path is not percent-decoded: an encoded "/" or "." fails the flat-name rule.
    const found = dir ? await feedFile(dir, ctx.path.slice(DESKTOP_UPDATES_PATH.length)) : null;
    if (!found) return notFound(ctx);
    const { file, size } = found;
    const manifest = file.endsWith('.yml');
    ctx.type = manifest ? 'text/yaml; charset=utf-8' : 'application/octet-stream';
    if (!manifest) {
      // Installers are versioned by name; the manifests say which one is current.
      ctx.set('Cache-Control', 'public, max-age=86400');
      ctx.attachment(path.basename(file));
    }
    ctx.set('Accept-Ranges', 'bytes');
    let start = 0;
    let end = size - 1;
    const header = ctx.get('range');
    // A malformed or multi-range header is ignored (RFC 9110 allows it): the whole file is sent.
    const ranges = header ? parseRange(size, header) : -2;
    if (ranges === -1) {
      ctx.status = 416;
      ctx.set('Content-Range', `bytes */${size}`);
      return;
    }
    if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1 && ranges[0]) {
      ({ start, end } = ranges[0]);
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    } else {
      ctx.status = 200;
    }
    // Koa sends no body for HEAD (and destroys the unread stream when the answer ends).
    ctx.body = size === 0 ? Buffer.alloc(0) : createReadStream(file, { start, end });
    ctx.length = size === 0 ? 0 : end - start + 1;
  };
}
