// Registration and login throttles attacked from several client addresses (TRUST_PROXY: X-Forwarded-For names them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postJson,
  randomName,
  registerCustomer,
  startTestServer,
  type TestServer,
} from '../../../test/helpers';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { TRUST_PROXY: 'true', REGISTER_RATE_PER_HOUR: '10' } });
});
afterAll(async () => {
  await t?.close();
});

const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;
const from = (address: string) => ({ 'x-forwarded-for': address });
const usersNamed = (name: string) =>
  t.server.store.db.collection('users').countDocuments({ usernameLower: name.toLowerCase() });

const register = (address: string, name = randomName('farm'), email = `${name}@example.test`) =>
  postJson(
    `${t.url}/api/auth/register`,
    { username: name, email, password: 'correct horse battery' },
    from(address),
  );

describe('registration per address', () => {
  it('refuses the 11th registration within the hour from one address with 429 and creates nothing', async () => {
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await register('203.0.113.1')).status);
    expect(statuses).toEqual(Array(10).fill(201));
    const name = randomName('farm');
    const refused = await register('203.0.113.1', name);
    expect(refused.status).toBe(429);
    expect(errorCode(refused.body)).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(await usersNamed(name)).toBe(0);
    // Another address is not held back.
    expect((await register('203.0.113.2')).status).toBe(201);
  });

  it('counts failed attempts too, so probing which emails have an account is bounded', async () => {
    const victim = await registerCustomer(t.url);
    const email = `${victim.user.username}@example.test`;
    const statuses = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await register('203.0.113.3', randomName('probe'), email)).status);
    expect(statuses).toEqual([...Array(10).fill(409), 429]);
  });
});
