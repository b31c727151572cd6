// The one rule for the chat server's URL (login, settings, CSP, update feed): https, or http on loopback only.

/** Loopback as the URL parser leaves it: `localhost`, 127.0.0.0/8 (already dotted decimal), `[::1]`. */
export const isLoopbackHostname = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

export type ServerUrlCheck = { ok: true; url: string } | { ok: false; message: string };

/**
 * Parses a server URL: `https:` anywhere, `http:` only for a loopback host (development), no credentials.
 * The accepted URL is normalised to origin plus path without a trailing slash (no query, no fragment).
 */
export const checkServerUrl = (value: string): ServerUrlCheck => {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, message: 'must be a URL such as https://chat.example.com' };
  }
  const plainLoopback = url.protocol === 'http:' && isLoopbackHostname(url.hostname);
  if (url.protocol !== 'https:' && !plainLoopback) {
    // The password and the refresh token would otherwise cross the network in clear.
    return {
      ok: false,
      message: 'must start with https:// (http:// only for this computer: localhost, 127.0.0.1, [::1])',
    };
  }
  if (url.username || url.password) return { ok: false, message: 'must not contain a user name or password' };
  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
};
