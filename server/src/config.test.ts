import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadStorageConfig, parseMessageKeys } from './config';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'support-chat-config-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const dir = tempDir();
    const c = loadConfig({ DATA_DIR: dir });
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      mongoUri: null,
      dbName: 'support_chat',
      allowedOrigins: [],
      accessTokenTtlSec: 900,
      messageRatePerSecond: 10,
      messageBurst: 20,
      maxSocketPayloadBytes: 65536,
      redisUrl: null,
    });
  });

  it('takes DESKTOP_UPDATES_DIR only as an existing folder', () => {
    const dir = tempDir();
    expect(loadConfig({ DATA_DIR: dir }).desktopUpdatesDir).toBeNull();
    expect(loadConfig({ DATA_DIR: dir, DESKTOP_UPDATES_DIR: dir }).desktopUpdatesDir).toBe(dir);
    expect(() => loadConfig({ DATA_DIR: dir, DESKTOP_UPDATES_DIR: path.join(dir, 'missing') })).toThrow(
      /DESKTOP_UPDATES_DIR must be an existing folder/,
    );
  });

  it('generates development secrets once, in DATA_DIR/secrets.json with mode 0600', () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.secretsSource).toBe('generated');
    const file = path.join(dir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.secretsSource).toBe('file');
    expect(second.secretKey.equals(first.secretKey)).toBe(true);
    expect(second.messageKeys[0]?.key.equals(first.messageKeys[0]?.key as Buffer)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('secretKey');
  });

  it('refuses production without secrets, naming what is missing, and writes nothing', () => {
    const dir = tempDir();
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, SECRET_KEY: 'x'.repeat(40) })).toThrow(
      /MESSAGE_KEYS/,
    );
    expect(() => statSync(path.join(dir, 'secrets.json'))).toThrow();
  });

  it('accepts production secrets from the environment', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: tempDir(),
      SECRET_KEY: 'x'.repeat(40),
      MESSAGE_KEYS: `new:${KEY},old:${Buffer.alloc(32, 1).toString('base64')}`,
    });
    expect(c.messageKeys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(c.secretsSource).toBe('env');
  });

  it('refuses a short SECRET_KEY and malformed MESSAGE_KEYS', () => {
    const base = { DATA_DIR: tempDir(), MESSAGE_KEYS: `k:${KEY}` };
    expect(() => loadConfig({ ...base, SECRET_KEY: 'short' })).toThrow(/SECRET_KEY/);
    expect(() => parseMessageKeys('k1:abc')).toThrow(/32 bytes/);
    expect(() => parseMessageKeys(`bad id:${KEY}`)).toThrow(/keyId/);
    expect(() => parseMessageKeys(`a:${KEY},a:${KEY}`)).toThrow(/unique/);
  });

  it('reads the database name from DB_NAME or the MONGO_URI path, replica-set URIs included', () => {
    const secrets = { SECRET_KEY: 'x'.repeat(40), MESSAGE_KEYS: `k:${KEY}`, DATA_DIR: tempDir() };
    expect(
      loadConfig({ ...secrets, MONGO_URI: 'mongodb://h1:27017,h2:27017/chatdb?replicaSet=rs0' }).dbName,
    ).toBe('chatdb');
    expect(loadConfig({ ...secrets, MONGO_URI: 'mongodb://h1/x', DB_NAME: 'other' }).dbName).toBe('other');
    expect(() => loadConfig({ ...secrets, MONGO_URI: 'http://nope' })).toThrow(/MONGO_URI/);
    expect(loadStorageConfig({ MONGO_URI: 'mongodb+srv://c.example.net/prod' })).toMatchObject({
      dbName: 'prod',
    });
  });

  it('normalises ALLOWED_ORIGINS and rejects non-origins', () => {
    const base = { DATA_DIR: tempDir(), SECRET_KEY: 'x'.repeat(40), MESSAGE_KEYS: `k:${KEY}` };
    expect(
      loadConfig({ ...base, ALLOWED_ORIGINS: 'https://a.example/, http://b.example:8080' }).allowedOrigins,
    ).toEqual(['https://a.example', 'http://b.example:8080']);
    expect(() => loadConfig({ ...base, ALLOWED_ORIGINS: 'not an origin' })).toThrow(/ALLOWED_ORIGINS/);
  });

  it('caps the access token lifetime at 15 minutes', () => {
    const base = { DATA_DIR: tempDir(), SECRET_KEY: 'x'.repeat(40), MESSAGE_KEYS: `k:${KEY}` };
    expect(() => loadConfig({ ...base, ACCESS_TOKEN_TTL_SEC: '3600' })).toThrow(ConfigError);
  });
});
