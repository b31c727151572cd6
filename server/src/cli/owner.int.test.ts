// `create-owner` and the audit log of the command line, as a real process against a real database.
import { randomUUID } from 'node:crypto';
import type { AuditEntry, AuthResponse as Session } from '@support-chat/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson, randomName, runCli, startTestServer, type TestServer } from '../../test/helpers';

let t: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestServer();
  env = { MONGO_URI: inject('mongoUri'), DB_NAME: t.dbName };
});
afterAll(async () => {
  await t?.close();
});

describe('create-owner', () => {
  it('makes an owner who signs in and reaches the console; the CLI actions are in its audit log', async () => {
    const username = randomName('boss');
    const password = `pw-${randomUUID()}`;
    const made = await runCli(
      ['create-owner', '--username', username, '--email', `${username}@example.test`, '--password-stdin'],
      env,
      `${password}\n`,
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`Owner created: ${username}`);
    const dept = await runCli(['create-department', '--id', 'cli-made', '--name', 'From the CLI'], env);
    expect(dept.code).toBe(0);

    const login = await postJson(`${t.url}/api/auth/login`, { username, password });
    expect(login.status).toBe(200);
    const session = login.body as Session;
    expect(session.user.role).toBe('owner');
    const res = await fetch(`${t.url}/api/admin/audit`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    const { entries } = (await res.json()) as { entries: AuditEntry[] };
    expect(entries.map((e) => [e.action, e.target, e.actor.kind])).toEqual([
      ['department.create', 'cli-made', 'cli'],
      ['owner.create', username, 'cli'],
    ]);
    expect(entries[0]?.actor).toEqual({ kind: 'cli', osUser: expect.any(String) });
    expect(JSON.stringify(entries)).not.toContain(password);

    // A second owner with the same name is refused; a password from arguments is never taken.
    const again = await runCli(
      ['create-owner', '--username', username, '--email', `x${username}@example.test`, '--password-stdin'],
      env,
      `${password}\n`,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is taken');
    const inArgs = await runCli(
      ['create-owner', '--username', 'x', '--email', 'x@example.test', '--password', 'secret123'],
      env,
    );
    expect(inArgs.code).toBe(2);
  });
});

describe('canned replies from the command line', () => {
  it('creates (text from stdin), lists and deletes a department reply, audited; refuses bad input', async () => {
    const text = 'Hello {customer.name},\nthis is {agent.name} from Billing.';
    const made = await runCli(
      [
        'create-canned-reply',
        '--department',
        'billing',
        '--shortcut',
        'hello',
        '--title',
        'Hello',
        '--text-stdin',
      ],
      env,
      `${text}\n`,
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const id = /\(id ([a-f0-9]{24})\)/.exec(made.stdout)?.[1];
    expect(id).toBeDefined();
    const listed = await runCli(['list-canned-replies', '--department', 'billing', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      { id, department: 'billing', shortcut: 'hello', title: 'Hello', text },
    ]);
    const plain = await runCli(['list-canned-replies'], env);
    expect(plain.stdout).toContain(`${id}\tbilling\t/hello\tHello\t`);

    const twice = await runCli(
      [
        'create-canned-reply',
        '--department',
        'billing',
        '--shortcut',
        'hello',
        '--title',
        'Again',
        '--text-stdin',
      ],
      env,
      'x',
    );
    expect(twice.code).toBe(1);
    const noText = await runCli(
      [
        'create-canned-reply',
        '--department',
        'billing',
        '--shortcut',
        'empty',
        '--title',
        'E',
        '--text-stdin',
      ],
      env,
      '   \n',
    );
    expect(noText.code).toBe(2);
    const badShortcut = await runCli(
      [
        'create-canned-reply',
        '--department',
        'billing',
        '--shortcut',
        'Bad One',
        '--title',
        'B',
        '--text-stdin',
      ],
      env,
      'x',
    );
    expect(badShortcut.code).toBe(2);
    const unknownDept = await runCli(
      ['create-canned-reply', '--department', 'nowhere', '--shortcut', 'x', '--title', 'X', '--text-stdin'],
      env,
      'x',
    );
    expect(unknownDept.code).toBe(1);

    const deleted = await runCli(['delete-canned-reply', '--id', id as string], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('Canned reply deleted: /hello of billing');
    expect((await runCli(['delete-canned-reply', '--id', id as string], env)).code).toBe(1);
    expect((await runCli(['list-canned-replies', '--department', 'billing'], env)).stdout).toContain(
      '(no canned replies)',
    );
    const audit = await t.server.store.audit.list({ limit: 10 });
    expect(audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(['canned_reply.create', 'canned_reply.delete']),
    );
  });
});
