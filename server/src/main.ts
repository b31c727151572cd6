// `npm start`: .env, configuration, database (embedded when no MONGO_URI), server, graceful shutdown.
import './env';
import { type ChatServer, createServer } from './app';
import { ConfigError, loadConfig, secretsPath } from './config';
import { createLogger, setLogLevel } from './log';
import { acquireEmbeddedDb } from './store/embedded';

const log = createLogger('main');

/** Startup failures: one clear line on stderr, no stack (the log has details at debug level). */
function die(message: string, err?: unknown): never {
  if (err) log.debug({ err }, 'startup failed');
  process.stderr.write(`\nSupport chat could not start: ${message}\n`);
  process.exit(1);
}

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) die(err.message);
    throw err;
  }
  setLogLevel(config.logLevel);
  if (config.secretsSource === 'generated') {
    log.warn(
      { file: secretsPath(config.dataDir) },
      'development secrets generated and stored (mode 0600); set SECRET_KEY and MESSAGE_KEYS in production',
    );
  } else if (config.secretsSource === 'file') {
    log.info({ file: secretsPath(config.dataDir) }, 'using development secrets from the data directory');
  }

  let releaseDb: () => Promise<void> = async () => {};
  let mongoUri = config.mongoUri;
  if (!mongoUri) {
    log.info({ dataDir: config.dataDir }, 'no MONGO_URI: starting the embedded database');
    try {
      const embedded = await acquireEmbeddedDb(config.dataDir, (line) => process.stderr.write(`${line}\n`));
      mongoUri = embedded.uri;
      releaseDb = embedded.release;
      log.info({ kind: embedded.kind }, 'embedded database ready');
    } catch (err) {
      die((err as Error).message, err);
    }
  }

  let server: ChatServer;
  try {
    server = await createServer({ ...config, mongoUri });
  } catch (err) {
    await releaseDb();
    die(`cannot use the database: ${(err as Error).message}`, err);
  }

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await server.close();
      await releaseDb();
      log.info('bye');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    const url = await server.listen();
    log.info({ url }, `Support chat listening on ${url}`);
  } catch (err) {
    await server.close();
    await releaseDb();
    die(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, err);
  }
}

process.on('unhandledRejection', (err) => {
  log.error({ err }, 'unhandled rejection');
});

main().catch((err) => {
  log.fatal({ err }, 'fatal');
  process.exit(1);
});
