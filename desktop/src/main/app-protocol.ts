// Serves the built renderer under app://support-chat/ so the app has a real origin (never file://).
import path from 'node:path';
import { APP_HOST } from '../common/ipc';
import { contentSecurityPolicy } from './window';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** The file under `root` that `url` names, or null for another host or a path that escapes `root`. */
export const resolveAppFile = (root: string, url: string): string | null => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  const file = path.resolve(root, relative);
  const rootWithSep = path.resolve(root) + path.sep;
  return file.startsWith(rootWithSep) ? file : null;
};

/** Every answer of the handler, errors included, carries its own CSP and nosniff: Electron may never run
 * `onHeadersReceived` for a custom scheme, so these headers must not depend on it. */
const appResponse = (body: string | Uint8Array, status: number, contentType: string, csp: string): Response =>
  new Response(body, {
    status,
    headers: {
      'Content-Type': contentType,
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
    },
  });

export const createAppProtocolHandler =
  (root: string, readFile: (file: string) => Promise<Buffer>, getServerUrl: () => string | null) =>
  async (request: { url: string }): Promise<Response> => {
    const csp = contentSecurityPolicy(getServerUrl());
    const notFound = () => appResponse('Not found', 404, 'text/plain; charset=utf-8', csp);
    const file = resolveAppFile(root, request.url);
    if (!file) return notFound();
    try {
      const body = await readFile(file);
      const type = contentTypes[path.extname(file)] ?? 'application/octet-stream';
      return appResponse(new Uint8Array(body), 200, type, csp);
    } catch {
      return notFound();
    }
  };
