// Which browser origins may use cookies and sockets: the server's own (the Host it was reached at) and ALLOWED_ORIGINS.
import type { IncomingMessage } from 'node:http';

/**
 * True when `origin` is the server's own origin or configured. The own origin is matched on host:port
 * (http or https) so a TLS-terminating proxy needs no extra setting.
 */
export function isOriginAllowed(
  origin: string,
  hostHeader: string | undefined,
  allowed: readonly string[],
): boolean {
  if (allowed.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return !!hostHeader && url.host.toLowerCase() === hostHeader.toLowerCase();
}

/**
 * Handshake check for Socket.IO (polling and WebSocket): no Origin header means a native client (the desktop
 * app's main process, node scripts), which cannot be driven cross-site by a web page, so it is allowed.
 */
export function isHandshakeOriginAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return isOriginAllowed(origin, req.headers.host, allowed);
}
