// The update feed end to end: the chat server serves DESKTOP_UPDATES_DIR, electron-updater's own generic provider
// reads the manifest from <server>/desktop/updates/ and finds the installer, which downloads intact in ranges.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../server/test/helpers';
import { GenericProvider } from './test/generic-provider';
import { UPDATE_FEED_PATH } from './updates';

const feed = mkdtempSync(path.join(os.tmpdir(), 'desktop-feed-'));
const INSTALLER = 'support-chat-0.3.0-linux-x86_64.AppImage';
const installer = randomBytes(300_000);
const sha512 = createHash('sha512').update(installer).digest('base64');
let server: TestServer;

beforeAll(async () => {
  writeFileSync(
    path.join(feed, 'latest-linux.yml'),
    `version: 0.3.0\nfiles:\n  - url: ${INSTALLER}\n    sha512: ${sha512}\n    size: ${installer.length}\npath: ${INSTALLER}\nsha512: ${sha512}\nreleaseDate: '2026-12-01T00:00:00.000Z'\n`,
  );
  writeFileSync(path.join(feed, INSTALLER), installer);
  server = await startTestServer({ env: { DESKTOP_UPDATES_DIR: feed } });
});
afterAll(async () => {
  await server?.close();
  rmSync(feed, { recursive: true, force: true });
});

it('electron-updater reads the feed the server serves and gets the installer it names, byte for byte', async () => {
  // The app takes only https feeds (updateFeedUrl); the test server is plain http on loopback.
  const feedUrl = `${server.url}${UPDATE_FEED_PATH}`;
  const provider = new GenericProvider(
    { provider: 'generic', url: feedUrl },
    { channel: null, isAddNoCacheQuery: true },
    {
      platform: 'linux',
      // The provider's request options, fetched over real HTTP (the app's executor is Electron's net module).
      executor: {
        request: async (o) => {
          const res = await fetch(`${o.protocol}//${o.hostname}:${o.port}${o.path}`);
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.text();
        },
      },
    },
  );
  const info = await provider.getLatestVersion();
  expect(info.version).toBe('0.3.0');
  const [file] = provider.resolveFiles(info);
  expect(file?.url.href).toBe(`${server.url}/desktop/updates/${INSTALLER}`);

  // The updater's differential download asks one range per request.
  const parts: Buffer[] = [];
  for (let start = 0; start < installer.length; start += 100_000) {
    const res = await fetch(file!.url, { headers: { range: `bytes=${start}-${start + 99_999}` } });
    expect(res.status).toBe(206);
    parts.push(Buffer.from(await res.arrayBuffer()));
  }
  expect(createHash('sha512').update(Buffer.concat(parts)).digest('base64')).toBe(file?.info.sha512);
});
