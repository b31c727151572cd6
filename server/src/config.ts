// Configuration: parsed and validated once at boot from the environment (and .env, loaded by main.ts).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ATTACHMENT_KINDS,
  DEFAULT_ATTACHMENT_MAX_BYTES,
  DEFAULT_ATTACHMENT_TYPES,
} from '@support-chat/protocol';
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface MessageKey {
  id: string;
  key: Buffer;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  mongoUri: string | null;
  dbName: string;
  /** Signs access tokens (HS256). */
  secretKey: Buffer;
  /** Message encryption keys, newest first; the first one encrypts. */
  messageKeys: MessageKey[];
  /** Where dev secrets came from, for the boot log. */
  secretsSource: 'env' | 'file' | 'generated';
  redisUrl: string | null;
  /** Extra origins allowed besides the server's own (browser pages, the desktop renderer). */
  allowedOrigins: string[];
  logLevel: string;
  nodeEnv: string;
  /** Trust X-Forwarded-* headers (behind a reverse proxy). */
  trustProxy: boolean;
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  messageRatePerSecond: number;
  messageBurst: number;
  /** Least time between two writes of conversation summaries (SPEC §14: coalesced after the acknowledgement). */
  summaryFlushMs: number;
  /** The IANA time zone whose calendar days the reports count in (SPEC §13). */
  reportTimeZone: string;
  typingRatePerSecond: number;
  openRatePerMinute: number;
  /** Login attempts per (account, address). */
  loginAccountPerMinute: number;
  loginAccountBurst: number;
  /** Login attempts per account from every address together: the ceiling on a spread attack. */
  loginAccountCeilingPerMinute: number;
  loginAccountCeilingBurst: number;
  loginAddressPerMinute: number;
  loginAddressBurst: number;
  /** Registrations per client address per hour (also the burst). */
  registerRatePerHour: number;
  maxSocketPayloadBytes: number;
  /** Open sockets per login and per user on one server process; the newest beyond is refused. */
  maxSocketsPerLogin: number;
  maxSocketsPerUser: number;
  maxHttpBodyBytes: number;
  /** How often open sockets are re-checked against their user record (disable, department change). */
  userRecheckMs: number;
  webDistDir: string;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** GET /metrics answers at all: off in production without METRICS_TOKEN. */
  metricsEnabled: boolean;
  /** Folder of the desktop app's update files served at /desktop/updates/ (null: no feed). */
  desktopUpdatesDir: string | null;
  /** How long a widget visitor stays signed in without coming back (the credential slides on each use). */
  widgetSessionTtlSec: number;
  /** A widget credential older than this is replaced on its next use (the old one keeps a short grace). */
  widgetCredentialRotateSec: number;
  /** Largest attachment in bytes (SPEC §11). */
  attachmentMaxBytes: number;
  /** Kinds of file accepted (keys of ATTACHMENT_KINDS: png, jpeg, gif, webp, pdf, text). */
  attachmentTypes: string[];
  /** Uploads per user per minute (also the burst). */
  attachmentUploadsPerMinute: number;
  /** An upload no message refers to is deleted after this long. */
  attachmentUnreferencedTtlSec: number;
  /** Images decoded and re-encoded at once (each holds its pixels in memory). */
  attachmentImageConcurrency: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (server/src/config.ts, or the built server/dist/main.mjs -> ../..). */
export const repoRoot = path.resolve(here, '..', '..');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const boolish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const EnvSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  MONGO_URI: z.string().optional(),
  DB_NAME: z.string().optional(),
  SECRET_KEY: z.string().optional(),
  MESSAGE_KEYS: z.string().optional(),
  REDIS_URL: z.string().optional(),
  ALLOWED_ORIGINS: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  NODE_ENV: z.string().default('development'),
  TRUST_PROXY: boolish.default(false),
  ACCESS_TOKEN_TTL_SEC: int(1, 900).default(900),
  REFRESH_TOKEN_TTL_SEC: int(60, 365 * 24 * 3600).default(30 * 24 * 3600),
  MESSAGE_RATE_PER_SECOND: z.coerce.number().positive().default(10),
  MESSAGE_BURST: int(1, 1_000_000).default(20),
  SUMMARY_FLUSH_MS: int(0, 10_000).default(100),
  REPORT_TIMEZONE: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as UTC or Europe/Paris'),
  TYPING_RATE_PER_SECOND: z.coerce.number().positive().default(2),
  OPEN_RATE_PER_MINUTE: z.coerce.number().positive().default(30),
  LOGIN_ACCOUNT_PER_MINUTE: z.coerce.number().positive().default(10),
  LOGIN_ACCOUNT_BURST: int(1, 1_000_000).default(10),
  LOGIN_ACCOUNT_CEILING_PER_MINUTE: z.coerce.number().positive().default(100),
  LOGIN_ACCOUNT_CEILING_BURST: int(1, 1_000_000).default(100),
  LOGIN_ADDRESS_PER_MINUTE: z.coerce.number().positive().default(60),
  LOGIN_ADDRESS_BURST: int(1, 1_000_000).default(60),
  REGISTER_RATE_PER_HOUR: z.coerce.number().positive().default(10),
  MAX_SOCKET_PAYLOAD: int(1024, 64 * 1024 * 1024).default(64 * 1024),
  MAX_SOCKETS_PER_LOGIN: int(1, 1_000_000).default(10),
  MAX_SOCKETS_PER_USER: int(1, 1_000_000).default(30),
  MAX_HTTP_BODY: int(1024, 64 * 1024 * 1024).default(64 * 1024),
  USER_RECHECK_MS: int(100, 60_000).default(2000),
  WEB_DIST_DIR: z.string().optional(),
  METRICS_TOKEN: z.string().optional(),
  DESKTOP_UPDATES_DIR: z.string().optional(),
  WIDGET_SESSION_TTL_SEC: int(60, 365 * 24 * 3600).default(30 * 24 * 3600),
  WIDGET_CREDENTIAL_ROTATE_SEC: int(0, 365 * 24 * 3600).default(3600),
  ATTACHMENT_MAX_BYTES: int(1, 1024 * 1024 * 1024).default(DEFAULT_ATTACHMENT_MAX_BYTES),
  ATTACHMENT_TYPES: z
    .string()
    .default(DEFAULT_ATTACHMENT_TYPES.join(','))
    .transform((v) => [
      ...new Set(
        v
          .split(',')
          .map((t) => t.trim().toLowerCase())
          .filter(Boolean),
      ),
    ])
    .refine(
      (list) => list.every((t) => Object.hasOwn(ATTACHMENT_KINDS, t)),
      `must be a comma-separated list of: ${Object.keys(ATTACHMENT_KINDS).join(', ')} (or empty: no attachments)`,
    ),
  ATTACHMENT_UPLOADS_PER_MINUTE: z.coerce.number().positive().default(30),
  ATTACHMENT_UNREFERENCED_TTL_SEC: int(60, 30 * 24 * 3600).default(3600),
  ATTACHMENT_IMAGE_CONCURRENCY: int(1, 64).default(2),
});

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** `<keyId>:<base64 of 32 bytes>`, comma-separated, newest first. */
export function parseMessageKeys(value: string): MessageKey[] {
  const keys = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      if (!KEY_ID.test(id)) {
        throw new ConfigError(
          'MESSAGE_KEYS: each entry must be "<keyId>:<base64 32 bytes>" (keyId: A-Z a-z 0-9 _ -)',
        );
      }
      const key = Buffer.from(entry.slice(colon + 1), 'base64');
      if (key.length !== 32) throw new ConfigError(`MESSAGE_KEYS: key "${id}" must be 32 bytes in base64`);
      return { id, key };
    });
  if (keys.length === 0) throw new ConfigError('MESSAGE_KEYS is empty');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) {
    throw new ConfigError('MESSAGE_KEYS: key ids must be unique');
  }
  return keys;
}

function parseSecretKey(value: string): Buffer {
  if (value.length < 32)
    throw new ConfigError('SECRET_KEY must be at least 32 characters (e.g. `openssl rand -base64 48`)');
  return Buffer.from(value, 'utf8');
}

function parseOrigins(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => {
      if (o === 'null' || o === 'file://') return o;
      try {
        const url = new URL(o);
        // Custom schemes (the desktop app's app://support-chat) have an opaque URL.origin: keep scheme://host.
        return url.origin === 'null' ? `${url.protocol}//${url.host}` : url.origin;
      } catch {
        throw new ConfigError(`ALLOWED_ORIGINS: "${o}" is not an origin like https://chat.example.com`);
      }
    });
}

interface SecretsFile {
  secretKey: string;
  messageKeys: string;
}

export const secretsPath = (dataDir: string) => path.join(dataDir, 'secrets.json');

/** Development only: generate the secrets once and keep them in DATA_DIR/secrets.json (mode 0600). */
function devSecrets(dataDir: string): { secrets: SecretsFile; generated: boolean } {
  const file = secretsPath(dataDir);
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SecretsFile>;
      if (typeof parsed.secretKey === 'string' && typeof parsed.messageKeys === 'string') {
        return { secrets: parsed as SecretsFile, generated: false };
      }
    } catch {
      // fall through to the clear error below
    }
    throw new ConfigError(
      `${file} is unreadable or malformed; fix or delete it (deleting makes old messages unreadable)`,
    );
  }
  const secrets: SecretsFile = {
    secretKey: randomBytes(48).toString('base64url'),
    messageKeys: `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}:${randomBytes(32).toString('base64')}`,
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { secrets, generated: true };
}

/** MONGO_URI (optional) and the database name: DB_NAME, else the URI's path, else support_chat. */
function parseMongo(
  uriRaw: string | undefined,
  dbNameRaw: string | undefined,
): { mongoUri: string | null; dbName: string } {
  const mongoUri = uriRaw?.trim() || null;
  let dbName = dbNameRaw;
  if (mongoUri) {
    const m = /^mongodb(?:\+srv)?:\/\/[^/?]+(?:\/([^?]*))?/.exec(mongoUri);
    if (!m)
      throw new ConfigError('MONGO_URI must look like mongodb://host[:port][,host2...]/[database][?options]');
    // The database name may come from the URI path (mongodb://host/name), as in the original system.
    if (!dbName && m[1]) dbName = decodeURIComponent(m[1]);
  }
  if (dbName !== undefined && !/^[A-Za-z0-9_-]{1,63}$/.test(dbName)) {
    throw new ConfigError(
      'the database name (DB_NAME or the MONGO_URI path) must be 1-63 letters, digits, "_" or "-"',
    );
  }
  return { mongoUri, dbName: dbName || 'support_chat' };
}

export interface StorageConfig {
  dataDir: string;
  mongoUri: string | null;
  dbName: string;
  logLevel: string | null;
}

/** Only what the admin CLI needs: where the database is. No secrets required. */
export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const dataDirRaw = env.DATA_DIR?.trim() || './data';
  const { mongoUri, dbName } = parseMongo(env.MONGO_URI, env.DB_NAME?.trim() || undefined);
  return {
    dataDir: path.resolve(env.INIT_CWD || process.cwd(), dataDirRaw),
    mongoUri,
    dbName,
    logLevel: env.LOG_LEVEL?.trim() || null,
  };
}

function desktopUpdatesDir(baseDir: string, raw: string | undefined): string | null {
  if (!raw?.trim()) return null;
  const dir = path.resolve(baseDir, raw.trim());
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new ConfigError(`DESKTOP_UPDATES_DIR must be an existing folder (${dir} is not)`);
  return dir;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const nodeEnv = e.NODE_ENV;
  const production = nodeEnv === 'production';
  // Relative paths are relative to where the command was typed (npm sets INIT_CWD; workspace scripts run in server/).
  const baseDir = env.INIT_CWD || process.cwd();
  const dataDir = path.resolve(baseDir, e.DATA_DIR);

  let secretKeyRaw = e.SECRET_KEY?.trim() || undefined;
  let messageKeysRaw = e.MESSAGE_KEYS?.trim() || undefined;
  let secretsSource: Config['secretsSource'] = 'env';
  if (!secretKeyRaw || !messageKeysRaw) {
    if (production) {
      const missing = [!secretKeyRaw && 'SECRET_KEY', !messageKeysRaw && 'MESSAGE_KEYS'].filter(Boolean);
      throw new ConfigError(
        `NODE_ENV=production needs ${missing.join(' and ')} to be set (see .env.example). ` +
          'Generate with: SECRET_KEY=$(openssl rand -base64 48) MESSAGE_KEYS=k1:$(openssl rand -base64 32)',
      );
    }
    const { secrets, generated } = devSecrets(dataDir);
    secretKeyRaw ??= secrets.secretKey;
    messageKeysRaw ??= secrets.messageKeys;
    secretsSource = generated ? 'generated' : 'file';
  }

  const { mongoUri, dbName } = parseMongo(e.MONGO_URI, e.DB_NAME?.trim() || undefined);

  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    mongoUri,
    dbName,
    secretKey: parseSecretKey(secretKeyRaw),
    messageKeys: parseMessageKeys(messageKeysRaw),
    secretsSource,
    redisUrl: e.REDIS_URL?.trim() || null,
    allowedOrigins: parseOrigins(e.ALLOWED_ORIGINS),
    logLevel: e.LOG_LEVEL ?? 'info',
    nodeEnv,
    trustProxy: e.TRUST_PROXY,
    accessTokenTtlSec: e.ACCESS_TOKEN_TTL_SEC,
    refreshTokenTtlSec: e.REFRESH_TOKEN_TTL_SEC,
    messageRatePerSecond: e.MESSAGE_RATE_PER_SECOND,
    messageBurst: e.MESSAGE_BURST,
    summaryFlushMs: e.SUMMARY_FLUSH_MS,
    reportTimeZone: e.REPORT_TIMEZONE,
    typingRatePerSecond: e.TYPING_RATE_PER_SECOND,
    openRatePerMinute: e.OPEN_RATE_PER_MINUTE,
    loginAccountPerMinute: e.LOGIN_ACCOUNT_PER_MINUTE,
    loginAccountBurst: e.LOGIN_ACCOUNT_BURST,
    loginAccountCeilingPerMinute: e.LOGIN_ACCOUNT_CEILING_PER_MINUTE,
    loginAccountCeilingBurst: e.LOGIN_ACCOUNT_CEILING_BURST,
    loginAddressPerMinute: e.LOGIN_ADDRESS_PER_MINUTE,
    loginAddressBurst: e.LOGIN_ADDRESS_BURST,
    registerRatePerHour: e.REGISTER_RATE_PER_HOUR,
    maxSocketPayloadBytes: e.MAX_SOCKET_PAYLOAD,
    maxSocketsPerLogin: e.MAX_SOCKETS_PER_LOGIN,
    maxSocketsPerUser: e.MAX_SOCKETS_PER_USER,
    maxHttpBodyBytes: e.MAX_HTTP_BODY,
    userRecheckMs: e.USER_RECHECK_MS,
    webDistDir: e.WEB_DIST_DIR ? path.resolve(baseDir, e.WEB_DIST_DIR) : path.join(repoRoot, 'web', 'dist'),
    metricsToken: e.METRICS_TOKEN?.trim() || null,
    metricsEnabled: Boolean(e.METRICS_TOKEN?.trim()) || !production,
    desktopUpdatesDir: desktopUpdatesDir(baseDir, e.DESKTOP_UPDATES_DIR),
    widgetSessionTtlSec: e.WIDGET_SESSION_TTL_SEC,
    widgetCredentialRotateSec: e.WIDGET_CREDENTIAL_ROTATE_SEC,
    attachmentMaxBytes: e.ATTACHMENT_MAX_BYTES,
    attachmentTypes: e.ATTACHMENT_TYPES,
    attachmentUploadsPerMinute: e.ATTACHMENT_UPLOADS_PER_MINUTE,
    attachmentUnreferencedTtlSec: e.ATTACHMENT_UNREFERENCED_TTL_SEC,
    attachmentImageConcurrency: e.ATTACHMENT_IMAGE_CONCURRENCY,
  };
}
