// Owner command line: `npm run admin -- <command> [options]`. Works with the server running or not: with the
// embedded database it reuses the server's (found through DATA_DIR) or starts one for the command's duration.
import '../env';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Result, schemas } from '@support-chat/protocol';
import { z } from 'zod';
import { ConfigError, loadConfig, loadStorageConfig } from '../config';
import { setLogLevel } from '../log';
// The server's services, store and embedded database are loaded only once the command line is valid (below): a
// usage error answers without loading them (about half of a command's start-up CPU).
import type { AccountService } from '../services/accounts';
import type { AuditActor, OwnerConsole } from '../services/owner-console';
import type { SiteChange } from '../services/widget';
import type { Store } from '../store/db';

/** Exit codes: 0 done, 1 the command failed (not found, conflict, database), 2 wrong usage or input. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

class UsageError extends Error {}
class CommandError extends Error {}

const USAGE = `Support chat owner commands

Usage: npm run admin -- <command> [options]

  create-owner --username <u> --email <e> --password-stdin
                                   an owner account: signs in to the console at /admin
  create-department --id <id> --name <name>
  list-departments
  create-agent --username <u> --email <e> --departments <id,id> --password-stdin
  list-agents [--json]
  set-departments --username <u> --departments <id,id>
  reset-password --username <u> --password-stdin
  disable-user --username <u>      any role: logins end, open sockets within seconds (alias: disable-agent)
  enable-user --username <u>       (alias: enable-agent)
  create-site --id <id> --name <name> --origins <https://shop.example,...>
              [--departments <id,id>] [--identity off|optional|required]
                                   a website with the chat widget; prints its signing secret once (last line)
  update-site --id <id> [--name <name>] [--origins <https://...,...>] [--departments <id,id>]
              [--identity off|optional|required]
                                   changes a site (required ends its anonymous visitors' widget logins)
  rotate-site-secret --id <id>     a new signing secret (printed once); the old one stops working
  end-site-sessions --id <id>      ends every widget login of the site (visitors start again)
  list-sites
  create-canned-reply --department <id> --shortcut <s> --title <t> --text-stdin
                                   a department's canned reply (agents type /<shortcut>); the text from standard
                                   input may hold {customer.name} and {agent.name}
  list-canned-replies [--department <id>] [--json]
  delete-canned-reply --id <id>

Passwords are read from standard input only (never from arguments), e.g.
  printf '%s' "$PASSWORD" | npm run admin -- create-agent --username ann --email ann@example.com --departments billing --password-stdin
On a terminal you are prompted instead (nothing is echoed).

The database: MONGO_URI (and DB_NAME) when set; otherwise the embedded database of DATA_DIR (default ./data),
shared with a running server or started just for this command.
Every command that changes something is written to the owner's audit log (shown at /admin) with your OS user.
Exit codes: 0 done, 1 the command failed, 2 wrong usage.`;

const departmentList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean),
  )
  .pipe(z.array(schemas.departmentId).min(1, 'give at least one department id'));

const ArgSchemas = {
  'create-owner': z.strictObject({
    username: schemas.username,
    email: schemas.email,
    'password-stdin': z.literal(true, { message: 'the password must come from --password-stdin' }),
  }),
  'create-department': z.strictObject({ id: schemas.departmentId, name: schemas.departmentName }),
  'list-departments': z.strictObject({}),
  'create-agent': z.strictObject({
    username: schemas.username,
    email: schemas.email,
    departments: departmentList,
    'password-stdin': z.literal(true, { message: 'the password must come from --password-stdin' }),
  }),
  'list-agents': z.strictObject({ json: z.boolean().optional() }),
  'set-departments': z.strictObject({ username: z.string().min(1), departments: departmentList }),
  'reset-password': z.strictObject({
    username: z.string().min(1),
    'password-stdin': z.literal(true, { message: 'the password must come from --password-stdin' }),
  }),
  'disable-user': z.strictObject({ username: z.string().min(1) }),
  'enable-user': z.strictObject({ username: z.string().min(1) }),
  'create-site': z.strictObject({
    id: schemas.siteId,
    name: schemas.departmentName,
    origins: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string()).min(1, 'give at least one origin')),
    departments: departmentList.optional(),
    identity: z.enum(['off', 'optional', 'required']).default('optional'),
  }),
  'update-site': z
    .strictObject({
      id: schemas.siteId,
      name: schemas.departmentName.optional(),
      origins: z
        .string()
        .transform((s) =>
          s
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean),
        )
        .pipe(z.array(z.string()).min(1, 'give at least one origin'))
        .optional(),
      departments: departmentList.optional(),
      identity: z.enum(['off', 'optional', 'required']).optional(),
    })
    .refine((a) => Object.keys(a).length > 1, { message: 'give something to change' }),
  'rotate-site-secret': z.strictObject({ id: schemas.siteId }),
  'end-site-sessions': z.strictObject({ id: schemas.siteId }),
  'list-sites': z.strictObject({}),
  'disable-agent': z.strictObject({ username: z.string().min(1) }),
  'enable-agent': z.strictObject({ username: z.string().min(1) }),
  'create-canned-reply': z.strictObject({
    department: schemas.departmentId,
    shortcut: schemas.cannedShortcut,
    title: schemas.templateText(100),
    'text-stdin': z.literal(true, { message: 'the text must come from --text-stdin' }),
  }),
  'list-canned-replies': z.strictObject({
    department: schemas.departmentId.optional(),
    json: z.boolean().optional(),
  }),
  'delete-canned-reply': z.strictObject({ id: schemas.objectId }),
} as const;
type Command = keyof typeof ArgSchemas;

function parseCommandLine(argv: string[]): { command: Command; args: Record<string, unknown> } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        id: { type: 'string' },
        name: { type: 'string' },
        username: { type: 'string' },
        email: { type: 'string' },
        departments: { type: 'string' },
        department: { type: 'string' },
        shortcut: { type: 'string' },
        title: { type: 'string' },
        'text-stdin': { type: 'boolean' },
        origins: { type: 'string' },
        identity: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        password: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [command, ...extra] = parsed.positionals;
  if (!command || parsed.values.help || command === 'help') throw new UsageError('');
  if (!(command in ArgSchemas)) throw new UsageError(`unknown command "${command}"`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const { help: _help, ...values } = parsed.values;
  if ('password' in values) {
    throw new UsageError(
      'passwords are never taken from arguments (they end up in shell history); use --password-stdin',
    );
  }
  const result = ArgSchemas[command as Command].safeParse(values);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `  --${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new UsageError(`${command}: invalid options\n${issues.join('\n')}`);
  }
  return { command: command as Command, args: result.data as Record<string, unknown> };
}

/** Reads the password: all of piped stdin (one trailing newline dropped), or a silent prompt on a terminal. */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  let raw: string;
  if (stdin.isTTY) {
    raw = await new Promise<string>((resolve, reject) => {
      process.stderr.write('Password: ');
      let value = '';
      stdin.setRawMode(true);
      stdin.resume();
      stdin.setEncoding('utf8');
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') {
            done();
            return resolve(value);
          }
          if (ch === '\u0003') {
            done();
            return reject(new UsageError('cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      const done = () => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        process.stderr.write('\n');
      };
      stdin.on('data', onData);
    });
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    raw = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  const parsed = schemas.password.safeParse(raw);
  if (!parsed.success) throw new UsageError(`password ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return parsed.data;
}

/** A canned reply's text: all of standard input (one trailing newline dropped). */
async function readText(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Text (end with Ctrl-D):\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  const parsed = schemas.templateText(4000).safeParse(raw);
  if (!parsed.success) throw new UsageError(`text ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return parsed.data;
}

const unwrap = <T>(result: Result<T>): T => {
  if (!result.ok) throw new CommandError(result.error.message);
  return result.data;
};

/** Who runs the command line, for the audit log. */
const cliActor = (): AuditActor => {
  let osUser = process.env.SUDO_USER || process.env.USER || '';
  try {
    osUser = os.userInfo().username || osUser;
  } catch {
    // no passwd entry for this uid: the environment's name, if any
  }
  return { kind: 'cli', osUser: osUser || `uid ${process.getuid?.() ?? '?'}` };
};

async function run(
  command: Command,
  args: Record<string, unknown>,
  accounts: AccountService,
  owner: OwnerConsole,
): Promise<string> {
  const by = cliActor();
  switch (command) {
    case 'create-owner': {
      const { user } = unwrap(
        await owner.createOwner(by, {
          username: args.username as string,
          email: args.email as string,
          password: args.password as string,
        }),
      );
      return `Owner created: ${user.username} (id ${user.id}); they sign in at /admin`;
    }
    case 'create-site': {
      const { site, secret } = unwrap(
        await owner.createSite(by, {
          id: args.id as string,
          name: args.name as string,
          origins: args.origins as string[],
          departments: (args.departments as string[] | undefined) ?? [],
          identity: args.identity as 'off' | 'optional' | 'required',
        }),
      );
      // The secret alone on the last line, so that scripts can take it with `tail -n 1`.
      return [
        `Site created: ${site.id} (${site.name})`,
        `  origins: ${site.origins.join(', ')}`,
        `  departments: ${site.departments.join(', ')}`,
        `  identity: ${site.identity}`,
        "Snippet for its pages (put your chat server's address in src):",
        `  <script async src="https://chat.example.com/widget.js" data-site="${site.id}"></script>`,
        "Signing secret for identity tokens (shown once; keep it on the shop's server only):",
        secret,
      ].join('\n');
    }
    case 'update-site': {
      const { id, ...change } = args as { id: string } & SiteChange;
      const { site, visitorSessionsEnded } = unwrap(await owner.updateSite(by, id, change));
      return [
        `Site updated: ${site.id} (${site.name})`,
        `  origins: ${site.origins.join(', ')}`,
        `  departments: ${site.departments.join(', ')}`,
        `  identity: ${site.identity}`,
        ...(visitorSessionsEnded ? [`Anonymous visitors' widget logins ended: ${visitorSessionsEnded}`] : []),
      ].join('\n');
    }
    case 'rotate-site-secret': {
      const { secret } = unwrap(await owner.rotateSiteSecret(by, args.id as string));
      return ['New signing secret (shown once; the old one no longer works):', secret].join('\n');
    }
    case 'end-site-sessions': {
      const { sessions } = unwrap(await owner.endSiteSessions(by, args.id as string));
      return `Widget logins ended: ${sessions} (open chats close within seconds)`;
    }
    case 'list-sites': {
      const list = await owner.listSites();
      return (
        list
          .map((s) => `${s.id}\t${s.name}\t${s.identity}\t${s.origins.join(',')}\t${s.departments.join(',')}`)
          .join('\n') || '(no sites)'
      );
    }
    case 'create-canned-reply': {
      const { reply } = unwrap(
        await owner.createCannedReply(by, {
          department: args.department as string,
          shortcut: args.shortcut as string,
          title: args.title as string,
          text: args.text as string,
        }),
      );
      return `Canned reply created: /${reply.shortcut} in ${reply.department} (id ${reply.id})`;
    }
    case 'list-canned-replies': {
      const list = await owner.listCannedReplies(args.department as string | undefined);
      if (args.json) return JSON.stringify(list, null, 2);
      return (
        list
          .map((r) => `${r.id}\t${r.department}\t/${r.shortcut}\t${r.title}\t${r.text.replace(/\s+/g, ' ')}`)
          .join('\n') || '(no canned replies)'
      );
    }
    case 'delete-canned-reply': {
      const { reply } = unwrap(await owner.deleteCannedReply(by, args.id as string));
      return `Canned reply deleted: /${reply.shortcut} of ${reply.department}`;
    }
    case 'create-department': {
      const d = unwrap(
        await owner.createDepartment(by, { id: args.id as string, name: args.name as string }),
      );
      return `Department created: ${d.id} (${d.name})`;
    }
    case 'list-departments': {
      const list = await accounts.listDepartments();
      return list.map((d) => `${d.id}\t${d.name}`).join('\n') || '(no departments)';
    }
    case 'create-agent': {
      const password = args.password as string;
      const { user } = unwrap(
        await owner.createAgent(by, {
          username: args.username as string,
          email: args.email as string,
          departments: args.departments as string[],
          password,
        }),
      );
      return `Agent created: ${user.username} (id ${user.id}) in ${user.departments.join(', ')}`;
    }
    case 'list-agents': {
      const agents = await accounts.listAgents();
      if (args.json) return JSON.stringify(agents, null, 2);
      if (agents.length === 0) return '(no agents)';
      return agents
        .map(
          (a) =>
            `${a.username}\t${a.email}\t${a.departments.join(',')}\t${a.disabled ? 'disabled' : 'active'}`,
        )
        .join('\n');
    }
    case 'set-departments': {
      const { user } = unwrap(
        await owner.setDepartments(by, {
          username: args.username as string,
          departments: args.departments as string[],
        }),
      );
      return `Departments of ${user.username}: ${user.departments.join(', ')} (open sessions follow within seconds)`;
    }
    case 'reset-password': {
      const password = args.password as string;
      const { user } = unwrap(await owner.resetPassword(by, { username: args.username as string, password }));
      return `Password reset for ${user.username}; their sessions were ended`;
    }
    case 'disable-user':
    case 'disable-agent': {
      const { user } = unwrap(await owner.disableUser(by, { username: args.username as string }));
      return `User disabled: ${user.username} (${user.role}); their sessions end within seconds`;
    }
    case 'enable-user':
    case 'enable-agent': {
      const { user } = unwrap(await owner.enableUser(by, { username: args.username as string }));
      return `User enabled: ${user.username} (${user.role})`;
    }
  }
}

async function main(argv: string[]): Promise<number> {
  let parsedCommand: ReturnType<typeof parseCommandLine>;
  try {
    parsedCommand = parseCommandLine(argv);
  } catch (err) {
    const message = (err as Error).message;
    if (message) process.stderr.write(`Error: ${message}\n\n`);
    process.stderr.write(`${USAGE}\n`);
    return message ? ExitCode.usage : ExitCode.ok;
  }

  let storage: ReturnType<typeof loadStorageConfig>;
  try {
    storage = loadStorageConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return ExitCode.usage;
    }
    throw err;
  }
  // Quiet JSON logs unless asked: this is a tool for people.
  setLogLevel(storage.logLevel ?? 'warn');

  let release: () => Promise<void> = async () => {};
  let store: Store | null = null;
  try {
    // The password first, before any database progress output mixes with a prompt.
    if (parsedCommand.args['password-stdin']) parsedCommand.args.password = await readPassword();
    if (parsedCommand.args['text-stdin']) parsedCommand.args.text = await readText();
    const [
      { acquireEmbeddedDb },
      { connectStore },
      { SiteAdmin },
      { MessageCipher },
      { AccountService },
      { OwnerConsole },
    ] = await Promise.all([
      import('../store/embedded'),
      import('../store/db'),
      import('../services/widget'),
      import('../services/crypto'),
      import('../services/accounts'),
      import('../services/owner-console'),
    ]);
    let uri = storage.mongoUri;
    if (!uri) {
      const embedded = await acquireEmbeddedDb(storage.dataDir, (line) => process.stderr.write(`${line}\n`));
      uri = embedded.uri;
      release = embedded.release;
    }
    store = await connectStore(uri, storage.dbName, { serverSelectionTimeoutMS: 5000 });
    // A fresh install may see the CLI before the server: the default departments exist either way.
    await store.departments.seed();
    const opened = store;
    // Site secrets are sealed with the message keys: only site commands need them (and the full configuration).
    const sites = () => new SiteAdmin(opened, new MessageCipher(loadConfig().messageKeys));
    const accounts = new AccountService(store);
    const owner = new OwnerConsole(store, accounts, sites);
    const output = await run(parsedCommand.command, parsedCommand.args, accounts, owner);
    process.stdout.write(`${output}\n`);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return ExitCode.usage;
    }
    if (err instanceof CommandError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return ExitCode.failed;
    }
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return ExitCode.failed;
  } finally {
    await store?.close().catch(() => {});
    await release().catch(() => {});
  }
}

const code = await main(process.argv.slice(2));
process.exit(code);
