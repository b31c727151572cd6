import { describe, expect, it } from 'vitest';
import { checkServerUrl, isLoopbackHostname } from './server-url';

describe('server URL rule', () => {
  it('accepts https anywhere, normalised to origin and path', () => {
    expect(checkServerUrl(' https://Chat.Example.com/support/ ')).toEqual({
      ok: true,
      url: 'https://chat.example.com/support',
    });
    expect(checkServerUrl('https://chat.example.com:8443/?q=1#x')).toEqual({
      ok: true,
      url: 'https://chat.example.com:8443',
    });
  });

  it('accepts http only for loopback hosts (development)', () => {
    for (const url of [
      'http://localhost:3000',
      'http://LOCALHOST',
      'http://127.0.0.1:3000',
      'http://127.1.2.3',
      'http://127.1', // the URL parser expands short and hex IPv4 forms before the check
      'http://0x7f.0.0.1',
      'http://[::1]:3000',
    ]) {
      expect(checkServerUrl(url).ok, url).toBe(true);
    }
    for (const url of [
      'http://chat.example.com',
      'http://192.168.1.10:3000',
      'http://10.0.0.1',
      'http://128.0.0.1',
      'http://0.0.0.0:3000',
      'http://[::ffff:127.0.0.1]',
      'http://[::2]',
      'http://localhost.example.com',
      'http://127.0.0.1.nip.io',
      'http://localhost.',
    ]) {
      expect(checkServerUrl(url), url).toMatchObject({ ok: false, message: expect.stringMatching(/https/) });
    }
  });

  it('refuses other schemes, credentials and non-URLs', () => {
    for (const url of [
      'ws://localhost:3000',
      'wss://chat.example.com',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ftp://chat.example.com',
      'https://user:pass@chat.example.com',
      'http://user@localhost',
      'chat.example.com',
      '',
    ]) {
      expect(checkServerUrl(url).ok, url).toBe(false);
    }
  });

  it('knows loopback host names as the URL parser writes them', () => {
    expect(isLoopbackHostname(new URL('http://127.255.255.254').hostname)).toBe(true);
    expect(isLoopbackHostname(new URL('http://[0:0:0:0:0:0:0:1]').hostname)).toBe(true);
    expect(isLoopbackHostname('localhost.localdomain')).toBe(false);
  });
});
