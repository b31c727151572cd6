// A demo shop on another origin than the chat server (SPEC §10): pages with the widget's one-line snippet, a pretend
// login, and a tiny backend that signs the logged-in customer's identity (HS256 with the site's secret, node:crypto
// only, lifetime 10 minutes). Plain Node, no dependencies:
//
//   npm run example:shop        (chat server on http://127.0.0.1:3000, shop on http://localhost:4000)
//
// Without SITE_SECRET it registers the site "demo-shop" with the owner's command line once and keeps the secret in
// examples/shop/.site-secret (mode 0600, not committed). Environment: PORT (4000), HOST (127.0.0.1), CHAT_URL
// (http://127.0.0.1:3000), SITE_ID (demo-shop), SITE_SECRET, SHOP_ORIGIN (http://localhost:<PORT>).
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.PORT ?? 4000);
const HOST = process.env.HOST ?? '127.0.0.1';
const CHAT_URL = (process.env.CHAT_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const SITE_ID = process.env.SITE_ID ?? 'demo-shop';
const SHOP_ORIGIN = process.env.SHOP_ORIGIN ?? `http://localhost:${PORT}`;

function siteSecret() {
  if (process.env.SITE_SECRET) return process.env.SITE_SECRET;
  const file = path.join(here, '.site-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const admin = (args) =>
    execFileSync('npm', ['run', '--silent', 'admin', '--', ...args], {
      cwd: path.resolve(here, '..', '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  let out;
  try {
    out = admin([
      'create-site',
      '--id',
      SITE_ID,
      '--name',
      'Demo Shop',
      '--origins',
      SHOP_ORIGIN,
      '--identity',
      'optional',
    ]);
  } catch {
    // Registered before, secret lost: a new one.
    out = admin(['rotate-site-secret', '--id', SITE_ID]);
  }
  const secret = out.trim().split('\n').at(-1);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

const SECRET = siteSecret();

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** What the shop's backend does for a logged-in customer: `{sub, name, email, iat, exp}`, HS256, 10 minutes. */
function identityToken(user) {
  const iat = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user.id, name: user.name, email: user.email, iat, exp: iat + 600 })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

const CUSTOMERS = {
  alice: { id: 'cust-1001', name: 'Alice Martin', email: 'alice@example.test' },
  bob: { id: 'cust-1002', name: 'Bob Stone', email: 'bob@example.test' },
};
const PRODUCTS = [
  { id: 1, name: 'Trail running shoes', price: '€89' },
  { id: 2, name: 'Merino wool socks', price: '€14' },
  { id: 3, name: 'Rain jacket', price: '€129' },
];

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const userOf = (req) => {
  const m = /(?:^|;\s*)shop_user=(\w+)/.exec(req.headers.cookie ?? '');
  return m ? (CUSTOMERS[m[1]] ?? null) : null;
};

function page(req, title, main, nonce) {
  const user = userOf(req);
  // The widget's queue stub (optional: only needed to call SupportChat before the loader arrives), then the snippet.
  const identify = user ? `SupportChat('identify', ${JSON.stringify(identityToken(user))});` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)} · Demo Shop</title>
<style nonce="${nonce}">
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1c2030;background:#fafafa}
header{display:flex;justify-content:space-between;align-items:center;padding:12px 24px;background:#0f766e;color:#fff}
header a{color:#fff}main{max-width:880px;margin:0 auto;padding:24px}
ul.products{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:16px;padding:0;list-style:none}
.products li{padding:16px;border:1px solid #ddd;border-radius:12px;background:#fff}
</style>
<script nonce="${nonce}">window.SupportChat=window.SupportChat||function(){(SupportChat.q=SupportChat.q||[]).push(arguments)};${identify}</script>
<script async src="${html(CHAT_URL)}/widget.js" data-site="${html(SITE_ID)}"></script>
</head><body>
<header><a href="/"><strong>Demo Shop</strong></a><nav>${
    user
      ? `Signed in as ${html(user.name)} · <a href="/logout">Sign out</a>`
      : '<a href="/login?user=alice">Sign in as Alice</a> · <a href="/login?user=bob">Sign in as Bob</a>'
  }</nav></header>
<main>${main}</main>
</body></html>`;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', SHOP_ORIGIN);
  // A strict policy, as a careful shop has: the widget needs only its script and its frame from the chat server.
  const nonce = randomBytes(16).toString('base64');
  const render = (who, title, main) => page(who, title, main, nonce);
  const csp = [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' ${CHAT_URL}`,
    `style-src 'self' 'nonce-${nonce}'`,
    `frame-src ${CHAT_URL}`,
    "object-src 'none'",
    "base-uri 'none'",
  ].join('; ');
  const send = (status, html, headers = {}) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': csp,
      ...headers,
    });
    res.end(html);
  };
  if (url.pathname === '/') {
    const items = PRODUCTS.map(
      (p) => `<li><h2><a href="/products/${p.id}">${html(p.name)}</a></h2><p>${html(p.price)}</p></li>`,
    ).join('');
    return send(200, render(req, 'Home', `<h1>Outdoor gear</h1><ul class="products">${items}</ul>`));
  }
  const product = /^\/products\/(\d+)$/.exec(url.pathname);
  if (product) {
    const p = PRODUCTS.find((x) => String(x.id) === product[1]);
    if (!p) return send(404, render(req, 'Not found', '<h1>Not found</h1>'));
    return send(
      200,
      render(
        req,
        p.name,
        `<h1>${html(p.name)}</h1><p>${html(p.price)}</p><p><button type="button">Add to cart</button></p>`,
      ),
    );
  }
  if (url.pathname === '/login') {
    const who = url.searchParams.get('user');
    if (!who || !CUSTOMERS[who]) return send(400, render(req, 'Sign in', '<h1>Unknown customer</h1>'));
    return send(302, '', { location: '/', 'set-cookie': `shop_user=${who}; Path=/; HttpOnly; SameSite=Lax` });
  }
  if (url.pathname === '/logout') {
    // The shop's sign-out also ends the chat's verified session in this browser.
    const signedOut = { headers: {} };
    return send(
      200,
      render(
        signedOut,
        'Signed out',
        `<h1>You are signed out</h1><script nonce="${nonce}">SupportChat("logout")</script>`,
      ),
      {
        'set-cookie': 'shop_user=; Path=/; Max-Age=0',
      },
    );
  }
  return send(404, render(req, 'Not found', '<h1>Not found</h1>'));
});

server.listen(PORT, HOST, () => {
  console.log(
    `Demo shop on ${SHOP_ORIGIN} (listening on ${HOST}:${PORT}), chat from ${CHAT_URL}, site ${SITE_ID}`,
  );
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
