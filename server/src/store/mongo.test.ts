// A database that does not answer leaves the store only as StoreUnavailableError (what the transports map to 503
// and `unavailable` acks); errors of our own code pass through unchanged.
import { MongoClient, MongoError } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './db';
import { freePort } from './embedded';
import { StoreUnavailableError } from './errors';
import type { MessageDoc } from './messages';

const clients: MongoClient[] = [];
afterAll(async () => {
  for (const c of clients) await c.close();
});

describe('store outages', () => {
  it('raise StoreUnavailableError from every repository, with the driver error as cause', async () => {
    const client = new MongoClient(`mongodb://127.0.0.1:${await freePort()}`, {
      serverSelectionTimeoutMS: 200,
    });
    clients.push(client);
    const store = openStore(client.db('nowhere'));
    const calls = [
      () => store.users.findByUsername('ann'),
      () => store.departments.list(),
      () => store.sessions.findSession('s'),
      () => store.authEpoch.read(),
      () => store.conversations.findById('c'),
      () => store.messages.insert({ _id: 'c:1' } as MessageDoc),
    ];
    for (const call of calls) {
      const err = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).cause).toBeInstanceOf(MongoError);
    }
  });

  it('let every other error through unchanged', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 200 });
    clients.push(client);
    const store = openStore(client.db('nowhere'));
    // A bug of ours (no id list) fails before the driver is asked.
    await expect(store.departments.existing(null as unknown as string[])).rejects.toBeInstanceOf(TypeError);
  });
});
