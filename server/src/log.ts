// Structured JSON logs. Never log message text, passwords or tokens: the redact list is a safety net, not a licence.
import pino from 'pino';

const REDACT = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'text',
  'authorization',
  'cookie',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.text',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

const initialLevel = (): string => {
  const level = process.env.LOG_LEVEL;
  if (level) return level;
  // Test runs stay quiet unless asked otherwise.
  return process.env.VITEST ? 'silent' : 'info';
};

const root = pino({
  level: initialLevel(),
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: { paths: REDACT, censor: '[redacted]' },
  formatters: { level: (label) => ({ level: label }) },
});

const children = new Set<pino.Logger>();

/** One logger per module: `const log = createLogger('auth')`. */
export function createLogger(module: string): pino.Logger {
  const child = root.child({ module });
  children.add(child);
  return child;
}

/** Applies the configured level to every logger already created (modules create theirs at import time). */
export function setLogLevel(level: string): void {
  root.level = level;
  for (const child of children) child.level = level;
}

export type Logger = pino.Logger;
