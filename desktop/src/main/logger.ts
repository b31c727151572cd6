// One JSON line per event on stderr; callers pass ids only, never message text, passwords or tokens.
type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = order[(process.env.LOG_LEVEL as Level) ?? 'info'] ?? order.info;

export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export const createLogger = (module: string): Logger => {
  const write = (level: Level) => (fields: Record<string, unknown>, msg: string) => {
    if (order[level] < threshold || process.env.VITEST) return;
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, module, msg, ...fields })}\n`,
    );
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
};
