// The desktop update feed against a real server: manifests, installers, one byte range, HEAD, and every way out
// of the folder refused.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/helpers';

const root = mkdtempSync(path.join(os.tmpdir(), 'desktop-updates-'));
const feed = path.join(root, 'feed');
const installer = randomBytes(64 * 1024 + 7);
const INSTALLER = 'support-chat-0.2.0-linux-x86_64.AppImage';
const sha512 = createHash('sha512').update(installer).digest('base64');
const MANIFEST = `version: 0.2.0\nfiles:\n  - url: ${INSTALLER}\n    sha512: ${sha512}\n    size: ${installer.length}\npath: ${INSTALLER}\nsha512: ${sha512}\nreleaseDate: '2026-12-01T00:00:00.000Z'\n`;

let server: TestServer;
let noFeed: TestServer;

beforeAll(async () => {
  mkdirSync(feed);
  writeFileSync(path.join(feed, 'latest-linux.yml'), MANIFEST);
  writeFileSync(path.join(feed, INSTALLER), installer);
  writeFileSync(path.join(feed, '.hidden.yml'), 'secret');
  writeFileSync(path.join(root, 'outside.yml'), 'outside');
  symlinkSync(path.join(root, 'outside.yml'), path.join(feed, 'link.yml'));
  server = await startTestServer({ env: { DESKTOP_UPDATES_DIR: feed } });
  noFeed = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await noFeed?.close();
  rmSync(root, { recursive: true, force: true });
});

const get = (url: string, init?: RequestInit) => fetch(url, { redirect: 'manual', ...init });

/** GET with the path sent exactly as written (fetch would resolve `%2e%2e` segments before sending). */
const rawGet = (url: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = http.get({ hostname, port, path: url.slice(url.indexOf('/', 'http://'.length)) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });

describe('GET /desktop/updates/<file>', () => {
  it('serves the manifest uncached and the installer whole, as downloads that cannot render', async () => {
    const manifest = await get(`${server.url}/desktop/updates/latest-linux.yml?noCache=1abc`);
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('content-type')).toBe('text/yaml; charset=utf-8');
    expect(manifest.headers.get('cache-control')).toBe('no-cache');
    expect(manifest.headers.get('x-content-type-options')).toBe('nosniff');
    expect(manifest.headers.get('content-security-policy')).toBe('sandbox');
    expect(await manifest.text()).toBe(MANIFEST);

    const whole = await get(`${server.url}/desktop/updates/${INSTALLER}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('application/octet-stream');
    expect(whole.headers.get('content-disposition')).toBe(`attachment; filename="${INSTALLER}"`);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const body = Buffer.from(await whole.arrayBuffer());
    expect(createHash('sha512').update(body).digest('base64')).toBe(sha512);
  });

  it('answers one byte range with 206, an unsatisfiable one with 416, and HEAD with the length only', async () => {
    const part = await get(`${server.url}/desktop/updates/${INSTALLER}`, {
      headers: { range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${installer.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(installer.subarray(100, 200))).toBe(true);

    const tail = await get(`${server.url}/desktop/updates/${INSTALLER}`, { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(installer.subarray(-10))).toBe(true);

    const beyond = await get(`${server.url}/desktop/updates/${INSTALLER}`, {
      headers: { range: `bytes=${installer.length}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${installer.length}`);

    const head = await get(`${server.url}/desktop/updates/${INSTALLER}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(installer.length));
    expect(await head.text()).toBe('');
  });

  it('refuses names that leave the folder, dot-files, symlinks out, other types and other methods', async () => {
    const refused = [
      '..%2foutside.yml',
      '%2e%2e/outside.yml',
      '..%5coutside.yml',
      '.hidden.yml',
      'link.yml',
      'missing.yml',
      'sub/latest-linux.yml',
      '%6catest-linux.yml',
      'latest-linux.yml%00.exe',
    ];
    for (const name of refused) {
      const res = await rawGet(`${server.url}/desktop/updates/${name}`);
      expect([name, res.status]).toEqual([name, 404]);
      expect(res.body).toBe('Not found');
    }
    writeFileSync(path.join(feed, 'notes.txt'), 'not an update file');
    expect((await get(`${server.url}/desktop/updates/notes.txt`)).status).toBe(404);
    const post = await get(`${server.url}/desktop/updates/latest-linux.yml`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('is a 404 when DESKTOP_UPDATES_DIR is not set', async () => {
    const res = await get(`${noFeed.url}/desktop/updates/latest-linux.yml`);
    expect(res.status).toBe(404);
  });
});
