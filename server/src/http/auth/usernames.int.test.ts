// Lookalike and invisible usernames (Unicode TS #39): each copy of a taken name is refused, and so is a name that
// mixes scripts or renders blank; users from before the rule get their skeleton once at startup.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestServer, type TestServer, uniqueDbName } from '../../../test/helpers';
import { connectStore } from '../../store/db';
import { newUserDoc, type UserDoc } from '../../store/users';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;
const register = (url: string, username: string) =>
  postJson(`${url}/api/auth/register`, {
    username,
    email: `u${randomInt(1e9)}@example.test`,
    password: 'correct horse battery',
  });

describe('lookalike usernames', () => {
  it('refuses Cyrillic, Greek, fullwidth, mathematical and case copies of a taken name with 409', async () => {
    const n = String(randomInt(100_000, 999_999));
    expect((await register(t.url, `kat_${n}`)).status).toBe(201);
    const copies = [
      `КАТ_${n}`, // Cyrillic capitals
      `ΚΑΤ_${n}`, // Greek capitals
      `ｋａｔ_${n}`, // fullwidth
      `𝐤𝐚𝐭_${n}`, // mathematical bold
      `KAT_${n}`,
    ];
    for (const copy of copies) {
      const res = await register(t.url, copy);
      expect(res.status, copy).toBe(409);
      expect(errorCode(res.body), copy).toBe('username_taken');
    }
    // A different name is not a lookalike.
    expect((await register(t.url, `kat_${n}9`)).status).toBe(201);
  });

  it('refuses a digit standing for a letter: 0 for o, 1 for l, rn for m', async () => {
    const n = String(randomInt(100_000, 999_999));
    expect((await register(t.url, `molly_${n}`)).status).toBe(201);
    for (const copy of [`m0lly_${n}`, `mo1ly_${n}`, `rnolly_${n}`]) {
      expect((await register(t.url, copy)).status, copy).toBe(409);
    }
  });

  it('refuses invisible fillers, names without a letter or digit and mixed scripts with 400; one script passes', async () => {
    for (const name of [
      '\u3164\u3164\u3164',
      `ann\u3164${randomInt(1e6)}`,
      '...',
      '_-_',
      `pаypal${randomInt(1e6)}`,
    ]) {
      const res = await register(t.url, name);
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(errorCode(res.body)).toBe('invalid_input');
    }
    for (const name of [
      `Алиса_${randomInt(1e6)}`,
      `山田タロウ${randomInt(1e6)}`,
      `Ελένη_${randomInt(1e6)}`,
    ]) {
      expect((await register(t.url, name)).status, name).toBe(201);
    }
  });
});

describe('users from before skeletons', () => {
  it('get one at startup, once; lookalikes already there are kept, and new ones refused', async () => {
    const dbName = uniqueDbName('skel');
    // An older deployment: no skeleton index, users without a skeleton, two of them lookalikes (Cyrillic а).
    const old = await connectStore(t.server.config.mongoUri as string, dbName);
    await old.db.collection('users').dropIndex('usernameSkeleton_unique');
    await old.db.collection('users').insertMany(
      ['ann_old', '\u0430nn_old', 'bob_old'].map((username) => {
        const { usernameSkeleton: _, ...doc } = newUserDoc({
          username,
          email: `${randomInt(1e9)}@example.test`,
          passwordHash: 'x',
          role: 'customer',
          departments: [],
        });
        return doc;
      }),
    );
    await old.close();
    const skeletons = async (s: TestServer) =>
      (
        await s.server.store.db
          .collection<UserDoc>('users')
          .find({}, { sort: { _id: 1 } })
          .toArray()
      ).map((u) => [u.username, u.usernameSkeleton]);

    let s = await startTestServer({ dbName });
    try {
      const after = await skeletons(s);
      expect(after).toEqual([
        ['ann_old', 'ann_old'],
        ['\u0430nn_old', expect.stringMatching(/^ann_old#[a-f0-9]{24}$/)],
        ['bob_old', 'bob_old'],
      ]);
      expect((await register(s.url, '\uff41\uff4e\uff4e_old')).status).toBe(409);
      // A second start changes nothing.
      await s.close({ keepDatabase: true });
      s = await startTestServer({ dbName });
      expect(await skeletons(s)).toEqual(after);
    } finally {
      await s.close();
    }
  });
});
