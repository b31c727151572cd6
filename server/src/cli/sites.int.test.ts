// create-site / rotate-site-secret / list-sites as a real process beside a real server (SPEC §10): the secret is
// printed once, alone on the last line; the server opens what the command line sealed; a rotation ends the old one.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson, runCli, startTestServer, type TestServer } from '../../test/helpers';

let t: TestServer;
let env: Record<string, string>;

beforeAll(async () => {
  t = await startTestServer();
  // The command line seals secrets with the server's message keys.
  const keys = t.server.config.messageKeys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
  env = {
    MONGO_URI: inject('mongoUri'),
    DB_NAME: t.dbName,
    DATA_DIR: t.dataDir,
    SECRET_KEY: t.server.config.secretKey.toString('utf8'),
    MESSAGE_KEYS: keys,
    LOG_LEVEL: 'silent',
  };
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const token = (secret: string, sub: string) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(Buffer.from(secret, 'utf8'));

const identify = async (site: string, secret: string, sub = 'c-1') =>
  (await postJson(`${t.url}/api/widget/identify`, { site, token: await token(secret, sub) })).status;

describe('site commands', () => {
  it('create-site prints the secret once, alone on the last line; the server checks tokens with it', async () => {
    const r = await runCli(
      [
        'create-site',
        '--id',
        'cli-shop',
        '--name',
        'CLI Shop',
        '--origins',
        'https://shop.example,http://localhost:8080',
        '--departments',
        'billing',
        '--identity',
        'required',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const secret = lines.at(-1) as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(lines.slice(0, -1).join('\n')).not.toContain(secret);
    expect(r.stdout).toContain('data-site="cli-shop"');
    // Stored sealed, not in clear.
    const doc = await t.server.store.db.collection('sites').findOne({ _id: 'cli-shop' as never });
    expect(JSON.stringify(doc)).not.toContain(secret);
    expect(await identify('cli-shop', secret)).toBe(200);

    const list = await runCli(['list-sites'], env);
    expect(list.stdout).toContain(
      'cli-shop\tCLI Shop\trequired\thttps://shop.example,http://localhost:8080\tbilling',
    );
    expect(list.stdout).not.toContain(secret);

    const rotated = await runCli(['rotate-site-secret', '--id', 'cli-shop'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = rotated.stdout.trim().split('\n').at(-1) as string;
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(next).not.toBe(secret);
    expect(await identify('cli-shop', secret)).toBe(401);
    expect(await identify('cli-shop', next)).toBe(200);
  });

  it('end-site-sessions ends every widget login of the site, and only of that site', async () => {
    const admin = t.server.services.widget.admin;
    for (const id of ['end-a', 'end-b'])
      expect(
        (
          await admin.createSite({
            id,
            name: id,
            origins: ['https://a.example'],
            departments: [],
            identity: 'off',
          })
        ).ok,
      ).toBe(true);
    const start = async (site: string) =>
      ((await postJson(`${t.url}/api/widget/sessions`, { site })).body as { credential: string }).credential;
    const [a1, a2, b1] = [await start('end-a'), await start('end-a'), await start('end-b')];
    const r = await runCli(['end-site-sessions', '--id', 'end-a'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Widget logins ended: 2');
    const exchange = async (site: string, credential: string) =>
      (await postJson(`${t.url}/api/widget/token`, { site, credential })).status;
    expect(await exchange('end-a', a1)).toBe(401);
    expect(await exchange('end-a', a2)).toBe(401);
    expect(await exchange('end-b', b1)).toBe(200);
  });

  it('refuses origins that are not https (http only on loopback), unknown departments and taken ids', async () => {
    // Independent processes (each loads TypeScript through tsx, about a second of CPU): run side by side.
    const base = ['create-site', '--id', 'bad-shop', '--name', 'Bad'];
    const cases: [string[], number, string | null][] = [
      ...['http://shop.example', 'https://shop.example/path', 'shop.example'].map(
        (origins): [string[], number, string] => [[...base, '--origins', origins], 1, 'is not an origin'],
      ),
      [[...base, '--origins', 'https://a.example', '--departments', 'nope'], 1, 'No such department'],
      [[...base, '--origins', 'https://a.example', '--identity', 'sometimes'], 2, null],
      [
        ['create-site', '--id', 'cli-shop', '--name', 'Again', '--origins', 'https://a.example'],
        1,
        'already exists',
      ],
      [['rotate-site-secret', '--id', 'no-such-site'], 1, null],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, env)));
    cases.forEach(([args, code, message], i) => {
      const r = results[i] as Awaited<ReturnType<typeof runCli>>;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      if (message) expect(r.stderr, args.join(' ')).toContain(message);
    });
  });

  it('update-site changes origins and identity, audited with the OS user; bad input refused as at creation', async () => {
    const admin = t.server.services.widget.admin;
    expect(
      (
        await admin.createSite({
          id: 'upd-shop',
          name: 'Upd',
          origins: ['https://a.example'],
          departments: [],
          identity: 'optional',
        })
      ).ok,
    ).toBe(true);
    const r = await runCli(
      [
        'update-site',
        '--id',
        'upd-shop',
        '--origins',
        'https://b.example,https://c.example',
        '--identity',
        'off',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('origins: https://b.example, https://c.example');
    expect(r.stdout).toContain('identity: off');
    const site = await t.server.store.sites.findSite('upd-shop');
    expect(site).toMatchObject({ origins: ['https://b.example', 'https://c.example'], identity: 'off' });
    const [entry] = await t.server.store.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ action: 'site.update', target: 'upd-shop', actor: { kind: 'cli' } });

    const [bad, nothing, missing] = await Promise.all([
      runCli(['update-site', '--id', 'upd-shop', '--origins', 'http://shop.example'], env),
      runCli(['update-site', '--id', 'upd-shop'], env),
      runCli(['update-site', '--id', 'no-such-site', '--identity', 'off'], env),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not an origin');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('give something to change');
    expect(missing.code).toBe(1);
  });
});
