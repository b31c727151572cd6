import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/helpers';

let dist: string;
let t: TestServer;
beforeAll(async () => {
  dist = mkdtempSync(path.join(os.tmpdir(), 'support-chat-dist-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Support</title><div id="root"></div>');
  writeFileSync(path.join(dist, 'assets', 'index-AbC123.js'), 'console.log(1)');
  writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(dist, '.secret'), 'no');
  t = await startTestServer({ env: { WEB_DIST_DIR: dist } });
});
afterAll(async () => {
  await t?.close();
  rmSync(dist, { recursive: true, force: true });
});

const expectSecurityHeaders = (res: Response) => {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+/);
  expect(csp).toContain("img-src 'self' data: blob:");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
};

describe('the web page', () => {
  it('serves index.html at / with no-cache and a strict CSP', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<div id="root">');
    expectSecurityHeaders(res);
  });

  it('serves hashed assets with a one-year immutable cache', async () => {
    const res = await fetch(`${t.url}/assets/index-AbC123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('console.log(1)');
  });

  it('serves other files without the long cache', async () => {
    const res = await fetch(`${t.url}/favicon.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers index.html for unknown page paths, 404 for unknown files and API paths', async () => {
    const page = await fetch(`${t.url}/conversations/billing`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect((await fetch(`${t.url}/assets/index-old999.js`)).status).toBe(404);
    const api = await fetch(`${t.url}/api/unknown`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('never serves files outside dist or dot-files', async () => {
    for (const p of [
      '/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/.secret',
      '/assets/..%2f.secret',
    ]) {
      const res = await fetch(`${t.url}${p}`);
      const text = await res.text();
      expect(text, p).not.toContain('root:');
      expect(text, p).not.toBe('no');
    }
  });

  it('puts the security headers on API answers too', async () => {
    expectSecurityHeaders(await fetch(`${t.url}/api/health`));
  });
});

describe('Strict-Transport-Security', () => {
  it('is sent over https behind a trusted proxy, never over plain http or from an untrusted header', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    // Without TRUST_PROXY the header is anyone's to send: no HSTS.
    expect(
      (await fetch(`${t.url}/api/health`, { headers: https })).headers.get('strict-transport-security'),
    ).toBeNull();
    const s = await startTestServer({ env: { TRUST_PROXY: 'true' } });
    try {
      expect((await fetch(`${s.url}/api/health`)).headers.get('strict-transport-security')).toBeNull();
      const res = await fetch(`${s.url}/`, { headers: https });
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=31536000/);
    } finally {
      await s.close();
    }
  });
});

describe('without a built page', () => {
  it('answers a small page saying how to build it', async () => {
    const s = await startTestServer({ env: { WEB_DIST_DIR: path.join(dist, 'missing') } });
    try {
      const res = await fetch(`${s.url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('npm run build -w web');
    } finally {
      await s.close();
    }
  });
});
