// Registration and login throttles attacked from several client addresses (TRUST_PROXY: X-Forwarded-For names them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAgent,
  postJson,
  randomName,
  registerCustomer,
  startTestServer,
  type TestServer,
} from '../../../test/helpers';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    env: {
      TRUST_PROXY: 'true',
      REGISTER_RATE_PER_HOUR: '10',
      // Refills too slow to matter during a test.
      LOGIN_ACCOUNT_PER_MINUTE: '1',
      LOGIN_ACCOUNT_CEILING_PER_MINUTE: '0.01',
      LOGIN_ACCOUNT_CEILING_BURST: '25',
    },
  });
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

const login = (address: string, username: string, password: string) =>
  postJson(`${t.url}/api/auth/login`, { username, password }, from(address));

describe('login throttles never lock the owner out', () => {
  it('lets an agent in from their own address while another address hammers the account', async () => {
    const agent = await createAgent(t, { departments: ['billing'] });
    const { username } = agent.user;
    const statuses = [];
    for (let i = 0; i < 30; i++)
      statuses.push((await login('198.51.100.9', username, 'wrong password')).status);
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(20).fill(429)]);
    // The attacker's address is held back even with the right password; the owner's is not.
    expect((await login('198.51.100.9', username, agent.password)).status).toBe(429);
    expect((await login('192.0.2.10', username, agent.password)).status).toBe(200);
  });

  it('stops guessing spread over many addresses at the per-account ceiling', async () => {
    const agent = await createAgent(t, { departments: ['billing'] });
    const { username } = agent.user;
    const statuses = [];
    // 5 addresses x 6 tries stay under the per-address limit; with the agent's own login they pass the ceiling.
    for (let a = 0; a < 5; a++)
      for (let i = 0; i < 6; i++)
        statuses.push((await login(`198.51.100.${20 + a}`, username, 'nope')).status);
    expect(statuses.slice(0, 24)).toEqual(Array(24).fill(401));
    expect(statuses.slice(24)).toEqual(Array(6).fill(429));
    const right = await login('192.0.2.11', username, agent.password);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
