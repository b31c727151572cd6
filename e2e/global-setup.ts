// One embedded database (FerretDB or mongod) for the whole browser-test run, unless MONGO_URI is given.
// Its URI reaches the test workers through E2E_MONGO_URI; fixtures.ts gives every server its own database name.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redactUri, startEmbeddedDb } from '@support-chat/server/testkit';

export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.MONGO_URI) {
    process.env.E2E_MONGO_URI = process.env.MONGO_URI;
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-e2e-db-'));
  const db = await startEmbeddedDb({ dir, progress: (line) => console.log(`[e2e-db] ${line}`) });
  console.log(`[e2e-db] ${db.kind} pid ${db.pid} at ${redactUri(db.uri)}`);
  process.env.E2E_MONGO_URI = db.uri;
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
