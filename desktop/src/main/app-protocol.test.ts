import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppProtocolHandler, resolveAppFile } from './app-protocol';
import { contentSecurityPolicy } from './window';

const ROOT = path.resolve('/app/dist/renderer');

describe('app:// protocol', () => {
  it('maps app://support-chat/ paths into the renderer folder only', () => {
    expect(resolveAppFile(ROOT, 'app://support-chat/')).toBe(path.join(ROOT, 'index.html'));
    expect(resolveAppFile(ROOT, 'app://support-chat/assets/index.js')).toBe(
      path.join(ROOT, 'assets/index.js'),
    );
    // The URL parser already folds plain dot segments, so these stay inside the folder.
    expect(resolveAppFile(ROOT, 'app://support-chat/../../etc/passwd')).toBe(path.join(ROOT, 'etc/passwd'));
    expect(resolveAppFile(ROOT, 'app://support-chat/%2e%2e/%2e%2e/etc/passwd')).toBe(
      path.join(ROOT, 'etc/passwd'),
    );
    for (const url of [
      'app://support-chat/..%2f..%2fetc%2fpasswd',
      'app://support-chat/assets%2f..%2f..%2f..%2fsecret',
      'app://support-chat/a%00.js',
      'app://other-host/index.html',
      'app://support-chat/%E0%A4%A',
    ]) {
      expect(resolveAppFile(ROOT, url), url).toBeNull();
    }
  });

  it('answers with the CSP header and the right content type', async () => {
    const handler = createAppProtocolHandler(
      ROOT,
      async () => Buffer.from('<!doctype html>'),
      () => 'https://chat.example.com',
    );
    const response = await handler({ url: 'app://support-chat/index.html' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toBe('<!doctype html>');
    expect((await handler({ url: 'app://support-chat/..%2f..%2fsecret' })).status).toBe(404);
  });

  it('answers 404s (bad path, missing file) with the same CSP and nosniff, as plain text', async () => {
    const handler = createAppProtocolHandler(
      ROOT,
      async () => {
        throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      },
      () => 'https://chat.example.com',
    );
    for (const url of ['app://support-chat/missing.js', 'app://support-chat/..%2fsecret', 'app://evil/x']) {
      const response = await handler({ url });
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-security-policy'), url).toBe(
        contentSecurityPolicy('https://chat.example.com'),
      );
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(response.headers.get('content-type'), url).toBe('text/plain; charset=utf-8');
    }
  });

  it('labels unknown file types as opaque bytes, never sniffed', async () => {
    const handler = createAppProtocolHandler(
      ROOT,
      async () => Buffer.from('<script>'),
      () => null,
    );
    const response = await handler({ url: 'app://support-chat/data.bin' });
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
