// Starts one embedded database (FerretDB or mongod) for the whole integration run, unless MONGO_URI is given.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { redactUri, startEmbeddedDb } from '../src/store/embedded';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.MONGO_URI) {
    project.provide('mongoUri', process.env.MONGO_URI);
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-testdb-'));
  const db = await startEmbeddedDb({ dir, progress: (line) => console.log(`[test-db] ${line}`) });
  console.log(`[test-db] ${db.kind} pid ${db.pid} at ${redactUri(db.uri)}`);
  project.provide('mongoUri', db.uri);
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
