// The server package's public surface, for e2e tests and benchmarks that start a real server in-process.
export { type ChatServer, type CreateServerOptions, createServer } from './app';
export { type Config, ConfigError, loadConfig } from './config';
export { AccountService } from './services/accounts';
export { AuthService, type AuthUser } from './services/auth';
export { connectStore, type Store } from './store/db';
export { acquireEmbeddedDb, startEmbeddedDb } from './store/embedded';
