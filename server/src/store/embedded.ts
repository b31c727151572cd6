// The embedded MongoDB-compatible server behind "no MONGO_URI", in this order: a `mongod` on the PATH; else a
// `mongod` downloaded once by mongodb-memory-server-core into the cache; else FerretDB (on the PATH, in the cache,
// or built once with Go); else one error that names the three ways out. Used by `npm start`, the admin CLI and
// the tests. Only this server and its CLI can reach it: FerretDB listens on a Unix socket inside the 0700 data
// directory and on no TCP port; mongod runs as a single-node replica set (transactions and change streams) on
// 127.0.0.1 with access control, its generated credentials and key file kept 0600 beside its data.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

export interface EmbeddedDb {
  kind: 'mongod' | 'ferretdb';
  /** The driver URI. FerretDB: its Unix socket, percent-encoded; mongod: 127.0.0.1 with the generated credentials. */
  uri: string;
  pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedDbOptions {
  /** Where the database keeps its files (created if missing, made 0700). */
  dir: string;
  /**
   * mongod only, on its first start in `dir` (later starts reuse the port recorded there). FerretDB listens on no
   * port: its Unix socket lives in `dir`, so a restart in the same `dir` has the same URI.
   */
  port?: number;
  /** Progress lines for the person waiting (a download or a FerretDB build takes minutes the first time). */
  progress?: (line: string) => void;
  /** The Go toolchain that may build FerretDB; null: none. Default: `go` on the PATH, else /usr/local/go/bin/go. */
  goBin?: string | null;
}

export const cacheDir = (): string =>
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'support-chat');

const which = (cmd: string): string | null => {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
};

const defaultGo = (): string | null =>
  which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

type Endpoint = { port: number } | { path: string };
const describe = (at: Endpoint) => ('port' in at ? `port ${at.port}` : `socket ${at.path}`);

/** Resolves once something accepts connections at `at`, or rejects when the process dies first. */
const waitForListener = (at: Endpoint, child: ChildProcess, timeoutMs: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    const onExit = (code: number | null) => finish(new Error(`database process exited early (code ${code})`));
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      child.off('exit', onExit);
      err ? reject(err) : resolve();
    };
    child.once('exit', onExit);
    const attempt = () => {
      if (done) return;
      const socket = 'port' in at ? net.connect(at.port, '127.0.0.1') : net.connect(at.path);
      socket.once('connect', () => {
        socket.destroy();
        finish();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          finish(new Error(`database did not listen on ${describe(at)} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });

/** True when a process accepts connections on the Unix socket now. */
const socketAnswers = (socketPath: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });

/** The URI without its password, for logs and progress lines. */
export const redactUri = (uri: string): string =>
  uri.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]+):[^@/]*@/, '$1:***@');

/** The one error when nothing works: what was tried, and the three ways out. */
export class NoDatabaseError extends Error {
  constructor(tried: string[]) {
    super(
      [
        'No MongoDB-compatible database is available for the embedded mode. Tried:',
        ...tried.map((t) => `  - ${t}`),
        'Any one of these fixes it:',
        '  1. install MongoDB (a `mongod` on the PATH: https://www.mongodb.com/try/download/community), or let it be',
        '     downloaded: this needs access to fastdl.mongodb.org or a mirror in MONGOMS_DOWNLOAD_MIRROR;',
        '  2. install Go (https://go.dev/dl/): FerretDB is then built once, in a minute or two, and cached;',
        '  3. set MONGO_URI to a MongoDB server you run, e.g. MONGO_URI=mongodb://127.0.0.1:27017/support_chat',
      ].join('\n'),
    );
    this.name = 'NoDatabaseError';
  }
}

// ---- mongod: on the PATH, or downloaded into the cache by mongodb-memory-server-core ----

/** Where downloaded mongod binaries are kept (MONGOMS_DOWNLOAD_DIR overrides it, as mongodb-memory-server reads it). */
export const mongodDownloadDir = (): string =>
  process.env.MONGOMS_DOWNLOAD_DIR || path.join(cacheDir(), 'mongodb-binaries');

/** A failed download is not tried again for a day: a firewall that drops packets would hold every start. */
const DOWNLOAD_RETRY_MS = 24 * 3600_000;
const downloadFailedFile = () => path.join(mongodDownloadDir(), 'download-failed.json');

/** The last failed mongod download if it was less than a day ago (its message), else null. */
export function recentDownloadFailure(now = Date.now()): string | null {
  try {
    const { at, message } = JSON.parse(readFileSync(downloadFailedFile(), 'utf8')) as {
      at: number;
      message: string;
    };
    return now - at < DOWNLOAD_RETRY_MS ? `${message} (at ${new Date(at).toISOString()})` : null;
  } catch {
    return null;
  }
}

/** Runs `fn` with MONGOMS_* defaults that suit a start-up path, restoring the environment after. */
async function withDownloadDefaults<T>(fn: () => Promise<T>): Promise<T> {
  const mirror = process.env.MONGOMS_DOWNLOAD_URL || process.env.MONGOMS_DOWNLOAD_MIRROR || '';
  const defaults: Record<string, string> = {
    // One attempt: an offline machine falls through to FerretDB in milliseconds, not after seconds of back-off.
    MONGOMS_MAX_RETRIES: '1',
    // A plain-http mirror (a proxy inside a company network) works without also setting MONGOMS_USE_HTTP.
    ...(mirror.startsWith('http://') ? { MONGOMS_USE_HTTP: 'true' } : {}),
  };
  const set: string[] = [];
  for (const [k, v] of Object.entries(defaults)) {
    if (process.env[k] === undefined) {
      process.env[k] = v;
      set.push(k);
    }
  }
  try {
    return await fn();
  } finally {
    for (const k of set) delete process.env[k];
  }
}

/**
 * The path of a downloaded mongod: the cached one, or a fresh download (progress printed, published MD5 checked,
 * unpacked into the cache). Honours mongodb-memory-server's MONGOMS_DOWNLOAD_MIRROR, MONGOMS_DOWNLOAD_URL,
 * MONGOMS_VERSION and MONGOMS_DOWNLOAD_DIR. Throws one readable line when it cannot.
 */
export async function downloadMongod(progress: (line: string) => void = () => {}): Promise<string> {
  const downloadDir = mongodDownloadDir();
  const mms = await import('mongodb-memory-server-core');
  const { DryMongoBinary, MongoBinary } = mms;
  return withDownloadDefaults(async () => {
    const options = await DryMongoBinary.generateOptions({ downloadDir });
    const cached = await DryMongoBinary.locateBinary(options);
    if (cached) return cached;
    // The named export: under loaders that wrap CommonJS differently (Playwright's), `default` is not the class.
    const { MongoBinaryDownloadUrl } = await import(
      'mongodb-memory-server-core/lib/util/MongoBinaryDownloadUrl.js'
    );
    const url = await new MongoBinaryDownloadUrl({
      platform: options.platform,
      arch: options.arch,
      version: options.version,
      os: options.os,
    }).getDownloadUrl();
    progress(`Downloading MongoDB ${options.version} (mongod) from ${url} into ${downloadDir}...`);
    try {
      // checkMD5 always: the published checksum is verified whatever MONGOMS_MD5_CHECK says.
      const bin = await MongoBinary.getPath({ downloadDir, checkMD5: true });
      rmSync(downloadFailedFile(), { force: true });
      progress(`mongod ${options.version} downloaded and verified: ${bin}`);
      return bin;
    } catch (err) {
      const e = err as Error;
      let why = e.message.replace(/\s+/g, ' ').trim();
      if (e instanceof mms.errors.DownloadError) why = `${e.msg}`.replace(/\s+/g, ' ').trim();
      if (e instanceof mms.errors.Md5CheckFailedError) {
        // The archive and its checksum file stay behind after a failed check: remove them.
        const archive = path.join(downloadDir, path.basename(new URL(url).pathname));
        for (const f of [archive, `${archive}.md5`]) rmSync(f, { force: true });
        why = `the archive does not match its published MD5 checksum (got ${e.binarymd5}, published ${e.checkfilemd5}); nothing was kept`;
      }
      const message = `downloading mongod from ${url} failed: ${why}`;
      mkdirSync(downloadDir, { recursive: true });
      writeFileSync(downloadFailedFile(), JSON.stringify({ at: Date.now(), message }));
      throw new Error(message);
    }
  });
}

/** The replica set of the embedded mongod (one member). */
const REPLICA_SET = 'rs0';

/** mongod's command line: one member of a replica set, 127.0.0.1 only, access control by the key file, no socket in /tmp. */
export const mongodArgs = (o: { dbPath: string; port: number; keyFile: string }): string[] => [
  '--dbpath',
  o.dbPath,
  '--port',
  String(o.port),
  '--bind_ip',
  '127.0.0.1',
  '--replSet',
  REPLICA_SET,
  '--keyFile',
  o.keyFile,
  '--nounixsocket',
  '--quiet',
];

/** What the embedded mongod keeps beside its data (0600): its port and the generated credentials. */
interface MongodAuth {
  port: number;
  user: string;
  password: string;
  /** The replica set was initiated and the user created (the localhost exception is closed). */
  initiated: boolean;
}

const mongodUri = (a: MongodAuth, port: number) =>
  `mongodb://${encodeURIComponent(a.user)}:${encodeURIComponent(a.password)}@127.0.0.1:${port}/` +
  '?authSource=admin&directConnection=true';

async function startMongod(
  bin: string,
  dir: string,
  opts: EmbeddedDbOptions,
  progress: (line: string) => void,
): Promise<EmbeddedDb> {
  const dbPath = path.join(dir, 'mongod');
  mkdirSync(dbPath, { recursive: true, mode: 0o700 });
  const authFile = path.join(dir, 'mongod-auth.json');
  const keyFile = path.join(dir, 'mongod.key');
  let auth: MongodAuth = existsSync(authFile)
    ? (JSON.parse(readFileSync(authFile, 'utf8')) as MongodAuth)
    : {
        port: opts.port || (await freePort()),
        user: 'support-chat',
        password: randomBytes(24).toString('base64url'),
        initiated: false,
      };
  const save = (a: MongodAuth) => {
    writeFileSync(authFile, JSON.stringify(a), { mode: 0o600 });
    chmodSync(authFile, 0o600);
  };
  save(auth);
  // mongod refuses a key file that others can read.
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(96).toString('base64'), { mode: 0o400 });

  const portMoved = !(await portIsFree(auth.port));
  const port = portMoved ? await freePort() : auth.port;
  const child = spawnDb(bin, mongodArgs({ dbPath, port, keyFile }), path.join(dir, 'mongod.log'));
  await waitOrExplain('mongod', { port }, child, 120_000);

  const { MongoClient } = await import('mongodb');
  const waitForPrimary = async (client: InstanceType<typeof MongoClient>) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const hello = await client.db('admin').command({ hello: 1 });
      if (hello.isWritablePrimary) return;
      if (Date.now() > deadline) throw new Error('the replica set elected no primary within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    if (!auth.initiated) {
      progress('First start of the embedded mongod: initiating its replica set and creating its user...');
      // The localhost exception (no user exists yet) allows exactly this; if another local process used it
      // first, createUser fails here and we stop rather than use a database someone else holds.
      const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`);
      try {
        await client
          .db('admin')
          .command({
            replSetInitiate: { _id: REPLICA_SET, members: [{ _id: 0, host: `127.0.0.1:${port}` }] },
          })
          .catch((err: { code?: number }) => {
            // AlreadyInitialized: a first start that stopped before its user was created.
            if (err.code !== 23) throw err;
          });
        await waitForPrimary(client);
        await client
          .db('admin')
          .command({ createUser: auth.user, pwd: auth.password, roles: [{ role: 'root', db: 'admin' }] });
      } finally {
        await client.close();
      }
      auth = { ...auth, port, initiated: true };
      save(auth);
    } else if (portMoved) {
      // Its recorded port is taken now: move the one member to the new port.
      progress(`The embedded mongod's port ${auth.port} is taken; moving it to ${port}...`);
      const client = new MongoClient(mongodUri(auth, port));
      try {
        const { config } = await client.db('admin').command({ replSetGetConfig: 1 });
        config.members[0].host = `127.0.0.1:${port}`;
        config.version += 1;
        await client.db('admin').command({ replSetReconfig: config, force: true });
        await waitForPrimary(client);
      } finally {
        await client.close();
      }
      auth = { ...auth, port };
      save(auth);
    }
  } catch (err) {
    await stopChild(child);
    throw new Error(`Could not set up the embedded mongod: ${(err as Error).message}`);
  }
  return { kind: 'mongod', uri: mongodUri(auth, port), pid: child.pid ?? -1, stop: () => stopChild(child) };
}

// ---- FerretDB: FERRETDB_BIN, the PATH, the cache, or built with Go ----

/** Suffix of the cached binary: a build with FERRETDB_PATCHES applied (an unpatched cache entry is never reused). */
const FERRETDB_PATCH = '-idpushdown-atomic-in';

const ferretDbCachePath = () => path.join(cacheDir(), 'bin', `ferretdb-${FERRETDB_VERSION}${FERRETDB_PATCH}`);

/** The Go side of the `_id` range pushdown: which filters and sorts are answered by SQLite alone. */
const GO_ID_RANGE = `
// idRangeSQL turns {_id: {$gt|$gte|$lt|$lte: "plain string", ...}} into a WHERE clause on the _id index
// (patched in by support-chat). Only strings whose JSON form is the string itself between quotes, so that
// SQLite's byte order of the JSON text is the string order; the clause also keeps to string _ids.
func idRangeSQL(filter *types.Document) (string, []any, bool) {
\tif filter.Len() != 1 {
\t\treturn "", nil, false
\t}
\tv, err := filter.Get("_id")
\tif err != nil {
\t\treturn "", nil, false
\t}
\td, ok := v.(*types.Document)
\tif !ok || d.Len() == 0 {
\t\treturn "", nil, false
\t}
\tops := map[string]string{"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
\tvar conds []string
\tvar args []any
\tlower, upper := false, false
\tfor _, k := range d.Keys() {
\t\top := ops[k]
\t\ts, isString := must.NotFail(d.Get(k)).(string)
\t\tif op == "" || !isString {
\t\t\treturn "", nil, false
\t\t}
\t\tfor _, r := range s {
\t\t\tif r < 0x20 || r == '"' || r == '\\\\' || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029 {
\t\t\t\treturn "", nil, false
\t\t\t}
\t\t}
\t\tconds = append(conds, "%[1]s "+op+" ?")
\t\targs = append(args, "\\""+s+"\\"")
\t\tlower = lower || op[0] == '>'
\t\tupper = upper || op[0] == '<'
\t}
\t// Keep to string _ids (their JSON text starts with a quote) where the range is open; a bound that is given
\t// is the one SQLite should use, so no looser one is added beside it.
\tif !lower {
\t\tconds = append(conds, "%[1]s >= '\\"'")
\t}
\tif !upper {
\t\tconds = append(conds, "%[1]s < '#'")
\t}
\treturn " WHERE " + strings.Join(conds, " AND "), args, true
}
`;

/**
 * Source edits made before building FerretDB v1.24.2, each found by its exact text (a version without it is built
 * unpatched, with a note: every query still answers right, only slower).
 *   * `_id` index: its SQLite backend filters `_id` with `sjson->'$._id'` but indexes `sjson->"_id"`: SQLite never
 *     matches the two, so every lookup, update and delete by `_id` scans the whole collection (a conversation update
 *     took ~28 ms at 2,000 conversations instead of ~1 ms). `->'_id'` is the same value in the indexed form.
 *   * `_id` beside other conditions: `{_id, status}` (a compare-and-set) scanned the collection; now a point read.
 *   * `_id` ranges: only `_id` equality reached SQLite; a range of `_id`s, sorted by `_id` and limited, scanned the
 *     whole collection. The paged inbox (SPEC §15) reads its pages as such ranges, so they go to SQLite's `_id` index
 *     with the sort and the limit (exactly when the range is the whole filter, so the limit stays right).
 *   * `_id` lists: `{_id: {$in: [...]}}` scanned the collection; now one query on the `_id` index, so that point
 *     reads waiting at once can leave as one (a reconnect storm's handshakes).
 *   * Atomic writes of one document: an update, findAndModify or delete reads the documents its filter matches and
 *     writes them in a second, separate step, so two of them on one document from two connections could both read
 *     the old version and the later write undo the earlier (seen: a `$max` of lastSeq from one server process lost
 *     to another's). MongoDB applies each write to a document atomically, and the chat relies on it (`$max` folds,
 *     compare-and-set, deleting a dirty mark only while it is the same mark). One FerretDB process owns its SQLite
 *     files, so a lock per collection around these commands restores it; finds and inserts do not take it.
 */
const FERRETDB_PATCHES: { file: string; before: string; after: string }[] = [
  {
    file: 'internal/backends/sqlite/metadata/metadata.go',
    before: `IDColumn = DefaultColumn + "->'$._id'"`,
    after: `IDColumn = DefaultColumn + "->'_id'"`,
  },
  {
    // `_id` equality beside other conditions ({_id, status: 'open'}: every compare-and-set) went unindexed too: SQLite
    // now finds the one document by `_id`, and the handler checks the rest as before (Query and Explain).
    file: 'internal/backends/sqlite/collection.go',
    before: `\tif params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get("_id")`,
    after: `\tif params.Filter.Len() >= 1 {\n\t\tv, _ := params.Filter.Get("_id")`,
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    before: `\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)`,
    after:
      `\tif where, rangeArgs, ok := idRangeSQL(params.Filter); ok {\n` +
      `\t\twhereClause = fmt.Sprintf(where, metadata.IDColumn)\n\t\targs = rangeArgs\n\t}\n\n` +
      `\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)`,
  },
  {
    file: 'internal/backends/sqlite/query.go',
    before: `\tv := must.NotFail(sort.Get("$natural"))`,
    after:
      `\tif sort.Keys()[0] == "_id" {\n\t\tif must.NotFail(sort.Get("_id")).(int64) == -1 {\n` +
      `\t\t\treturn fmt.Sprintf(" ORDER BY %s DESC", metadata.IDColumn)\n\t\t}\n` +
      `\t\treturn fmt.Sprintf(" ORDER BY %s", metadata.IDColumn)\n\t}\n\n` +
      `\tv := must.NotFail(sort.Get("$natural"))`,
  },
  {
    // The backends' contract allows only `$natural` sorts; `_id` is allowed too now.
    file: 'internal/backends/collection.go',
    before: `\tif params.Sort.Len() != 0 {\n\t\tmust.BeTrue(params.Sort.Len() == 1)\n\t\tsortValue := params.Sort.Map()["$natural"].(int64)\n\n\t\tif sortValue != -1 && sortValue != 1 {\n\t\t\tpanic("sort value must be 1 (for ascending) or -1 (for descending)")\n\t\t}\n\t}\n\n\tres, err := cc.c.Query(ctx, params)`,
    after: `\tif params.Sort.Len() != 0 {\n\t\tmust.BeTrue(params.Sort.Len() == 1)\n\t\tsortValue := params.Sort.Map()[params.Sort.Keys()[0]].(int64)\n\n\t\tif sortValue != -1 && sortValue != 1 {\n\t\t\tpanic("sort value must be 1 (for ascending) or -1 (for descending)")\n\t\t}\n\t}\n\n\tres, err := cc.c.Query(ctx, params)`,
  },
  {
    file: 'internal/backends/collection.go',
    before: `\t\tsortValue := params.Sort.Map()["$natural"].(int64)\n\n\t\tif sortValue != -1 && sortValue != 1 {\n\t\t\tpanic("sort value must be 1 (for ascending) or -1 (for descending)")\n\t\t}\n\t}\n\n\tres, err := cc.c.Explain(ctx, params)`,
    after: `\t\tsortValue := params.Sort.Map()[params.Sort.Keys()[0]].(int64)\n\n\t\tif sortValue != -1 && sortValue != 1 {\n\t\t\tpanic("sort value must be 1 (for ascending) or -1 (for descending)")\n\t\t}\n\t}\n\n\tres, err := cc.c.Explain(ctx, params)`,
  },
  {
    // explain() shows the same plan as the query (filterPushdown, sortPushdown, limitPushdown, SQLite's plan).
    file: 'internal/backends/sqlite/collection.go',
    before: `\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown := orderByClause != ""`,
    after:
      `\tif where, rangeArgs, ok := idRangeSQL(params.Filter); ok {\n` +
      `\t\tfilterPushdown = true\n\t\twhereClause = fmt.Sprintf(where, metadata.IDColumn)\n\t\targs = rangeArgs\n\t}\n\n` +
      `\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown := orderByClause != ""`,
  },
  {
    file: 'internal/handler/msg_explain.go',
    before: `\t\tif params.Sort.Keys()[0] != "$natural" {\n\t\t\tbreak\n\t\t}`,
    after:
      `\t\tif params.Sort.Keys()[0] == "_id" && idRangeOnly(params.Filter) {\n\t\t\tqp.Sort = params.Sort\n\t\t\tbreak\n\t\t}\n\n` +
      `\t\tif params.Sort.Keys()[0] != "$natural" {\n\t\t\tbreak\n\t\t}`,
  },
  {
    file: 'internal/handler/msg_explain.go',
    before: `if !h.DisablePushdown && params.Filter.Len() == 0 && params.Sort.Len() == 0 && params.Skip == 0 {`,
    after:
      `if !h.DisablePushdown && params.Skip == 0 && ((params.Filter.Len() == 0 && params.Sort.Len() == 0) ||\n` +
      `\t\t(idRangeOnly(params.Filter) && (params.Sort.Len() == 0 || (params.Sort.Len() == 1 && params.Sort.Keys()[0] == "_id")))) {`,
  },
  {
    file: 'internal/handler/msg_find.go',
    before: `\t\tif params.Sort.Keys()[0] != "$natural" {\n\t\t\tbreak\n\t\t}`,
    after:
      `\t\tif params.Sort.Keys()[0] == "_id" && idRangeOnly(params.Filter) {\n\t\t\tqp.Sort = params.Sort\n\t\t\tbreak\n\t\t}\n\n` +
      `\t\tif params.Sort.Keys()[0] != "$natural" {\n\t\t\tbreak\n\t\t}`,
  },
  {
    // `_id: {$in: [...]}` (a batch of point reads: store/batched-reads.ts) goes to the `_id` index as one query.
    file: 'internal/backends/sqlite/collection.go',
    before: `\t\targs = rangeArgs\n\t}\n\n\tq += whereClause`,
    after: `\t\targs = rangeArgs\n\t}\n\n\tif where, inArgs, ok := idInSQL(params.Filter); ok {\n\t\twhereClause = where\n\t\targs = inArgs\n\t}\n\n\tq += whereClause`,
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    before: `\t\targs = rangeArgs\n\t}\n\n\torderByClause := prepareOrderByClause(params.Sort)`,
    after: `\t\targs = rangeArgs\n\t}\n\n\tif where, inArgs, ok := idInSQL(params.Filter); ok {\n\t\tfilterPushdown = true\n\t\twhereClause = where\n\t\targs = inArgs\n\t}\n\n\torderByClause := prepareOrderByClause(params.Sort)`,
  },
  {
    file: 'internal/handler/msg_update.go',
    before: `\tfor _, u := range params.Updates {\n\t\tc, err := db.Collection(params.Collection)`,
    after: `\tdefer lockDocumentWrites(params.DB, params.Collection)()\n\n\tfor _, u := range params.Updates {\n\t\tc, err := db.Collection(params.Collection)`,
  },
  {
    file: 'internal/handler/msg_findandmodify.go',
    before: `\tvar qp backends.QueryParams\n`,
    after: `\tdefer lockDocumentWrites(params.DB, params.Collection)()\n\n\tvar qp backends.QueryParams\n`,
  },
  {
    file: 'internal/handler/msg_delete.go',
    before: `\tfor i, p := range params.Deletes {\n\t\tvar d int32`,
    after: `\tdefer lockDocumentWrites(params.DB, params.Collection)()\n\n\tfor i, p := range params.Deletes {\n\t\tvar d int32`,
  },
  {
    file: 'internal/handler/msg_find.go',
    before: `if !h.DisablePushdown && params.Filter.Len() == 0 && params.Sort.Len() == 0 && params.Skip == 0 {`,
    after:
      `if !h.DisablePushdown && params.Skip == 0 && ((params.Filter.Len() == 0 && params.Sort.Len() == 0) ||\n` +
      `\t\t(idRangeOnly(params.Filter) && (params.Sort.Len() == 0 || (params.Sort.Len() == 1 && params.Sort.Keys()[0] == "_id")))) {`,
  },
];

/** The Go side of the `_id: {$in: [...]}` pushdown (appended to the SQLite backend's collection.go). */
const GO_ID_IN = `
// idInSQL turns {_id: {$in: [string or ObjectId, ...]}, ...} into a WHERE clause on the _id index (patched in by
// support-chat): a batch of point reads as one query instead of a scan. The handler still applies the whole filter
// to what it returns, so this only narrows.
func idInSQL(filter *types.Document) (string, []any, bool) {
\tv, err := filter.Get("_id")
\tif err != nil {
\t\treturn "", nil, false
\t}
\td, ok := v.(*types.Document)
\tif !ok || d.Len() != 1 {
\t\treturn "", nil, false
\t}
\tin, err := d.Get("$in")
\tif err != nil {
\t\treturn "", nil, false
\t}
\tarr, ok := in.(*types.Array)
\tif !ok || arr.Len() == 0 || arr.Len() > 1000 {
\t\treturn "", nil, false
\t}
\tmarks := make([]string, 0, arr.Len())
\targs := make([]any, 0, arr.Len())
\tfor i := 0; i < arr.Len(); i++ {
\t\te := must.NotFail(arr.Get(i))
\t\tswitch e.(type) {
\t\tcase string, types.ObjectID:
\t\t\tmarks = append(marks, "?")
\t\t\targs = append(args, string(must.NotFail(sjson.MarshalSingleValue(e))))
\t\tdefault:
\t\t\treturn "", nil, false
\t\t}
\t}
\treturn fmt.Sprintf(" WHERE %s IN (%s)", metadata.IDColumn, strings.Join(marks, ", ")), args, true
}
`;

/** The lock of the atomic-writes patch (a file of its own: it needs an import). */
const GO_WRITE_LOCKS = `// Single-document atomicity for read-modify-write commands (patched in by support-chat): see msg_update.go.
package handler

import "sync"

var documentWriteLocks sync.Map // "<db> <collection>" -> *sync.Mutex

// lockDocumentWrites takes the collection's write lock and returns its release.
func lockDocumentWrites(db, collection string) func() {
\tv, _ := documentWriteLocks.LoadOrStore(db+" "+collection, new(sync.Mutex))
\tmu := v.(*sync.Mutex)
\tmu.Lock()
\treturn mu.Unlock
}
`;

/** Appended to the files the edits call into (a file that is not there is created). */
const FERRETDB_ADDITIONS: { file: string; code: string }[] = [
  { file: 'internal/handler/support_chat_locks.go', code: GO_WRITE_LOCKS },
  { file: 'internal/backends/sqlite/query.go', code: GO_ID_RANGE },
  { file: 'internal/backends/sqlite/collection.go', code: GO_ID_IN },
  {
    file: 'internal/handler/msg_find.go',
    code: `${GO_ID_RANGE.replace('func idRangeSQL', 'func idRangeSQLHandler').replace('idRangeSQL turns', "idRangeSQLHandler is the same as the backend's idRangeSQL;")}
// idRangeOnly reports whether the SQLite backend answers this filter alone (see idRangeSQL), so that the sort and the
// limit can go to it too.
func idRangeOnly(filter *types.Document) bool {
\t_, _, ok := idRangeSQLHandler(filter)
\treturn ok
}
`,
  },
];

function patchFerretDb(src: string, progress: (line: string) => void): void {
  const files = new Map<string, string>();
  const read = (file: string) => files.get(file) ?? readFileSync(path.join(src, file), 'utf8');
  for (const edit of FERRETDB_PATCHES) {
    const code = read(edit.file);
    if (!code.includes(edit.before)) {
      progress(`  (FerretDB patch for ${edit.file} not applicable to this version; building it unpatched)`);
      return;
    }
    files.set(edit.file, code.split(edit.before).join(edit.after));
  }
  for (const add of FERRETDB_ADDITIONS) {
    const there = files.has(add.file) || existsSync(path.join(src, add.file));
    files.set(add.file, (there ? read(add.file) : '') + add.code);
  }
  for (const [file, code] of files) writeFileSync(path.join(src, file), code);
}

/** A FerretDB binary that is already there: FERRETDB_BIN, the PATH or the cache; null if none. */
export function findFerretDb(): string | null {
  const fromEnv = process.env.FERRETDB_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`FERRETDB_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  const onPath = which('ferretdb');
  if (onPath) return onPath;
  const cached = ferretDbCachePath();
  return existsSync(cached) ? cached : null;
}

/** Builds FerretDB with Go into the cache (progress printed) and returns its path. */
export function buildFerretDb(go: string, progress: (line: string) => void = () => {}): string {
  const cached = ferretDbCachePath();
  progress(
    `Building FerretDB ${FERRETDB_VERSION} with Go (first start only, a few minutes; cached in ${cached})...`,
  );
  const work = mkdtempSync(path.join(os.tmpdir(), 'ferretdb-build-'));
  const goEnv = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0', GO111MODULE: 'on' };
  const go_ = (args: string[], cwd: string, what: string): string => {
    progress(`  ${what}...`);
    const res = spawnSync(go, args, { cwd, env: goEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (res.status !== 0) {
      throw new Error(
        `Building FerretDB failed at "go ${args.join(' ')}":\n${(res.stderr || '').slice(-4000)}`,
      );
    }
    return res.stdout;
  };
  try {
    // `go install pkg@version` stumbles on the proxy's module list; download the exact version instead, and
    // build from a writable copy because FerretDB's own build wants build/version/version.txt written first.
    const info = JSON.parse(
      go_(
        ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`],
        work,
        'downloading FerretDB',
      ),
    ) as { Dir: string };
    const src = path.join(work, 'src');
    cpSync(info.Dir, src, { recursive: true });
    spawnSync('chmod', ['-R', 'u+w', src]);
    writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    patchFerretDb(src, progress);
    mkdirSync(path.dirname(cached), { recursive: true });
    const partial = `${cached}.partial-${process.pid}`;
    go_(
      ['build', '-trimpath', '-o', partial, './cmd/ferretdb'],
      src,
      'compiling (the slow part, about a minute or more)',
    );
    // Rename is atomic, so concurrent first starts never run a half-written binary.
    renameSync(partial, cached);
    progress(`FerretDB built: ${cached}`);
    return cached;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Path of a FerretDB binary: FERRETDB_BIN, the PATH, the cache, or a fresh build with Go (cached). */
export function ensureFerretDb(
  progress: (line: string) => void = () => {},
  go: string | null = defaultGo(),
): string {
  const found = findFerretDb();
  if (found) return found;
  if (!go) {
    throw new NoDatabaseError([
      'mongod: none on the PATH',
      `FerretDB: none in FERRETDB_BIN, on the PATH or in ${path.dirname(ferretDbCachePath())}, and no Go toolchain to build it`,
    ]);
  }
  return buildFerretDb(go, progress);
}

/** Unix socket paths are limited to 107 bytes; a deeper DATA_DIR gets a private 0700 folder in the temp dir. */
const MAX_SOCKET_PATH = 100;

function spawnDb(bin: string, args: string[], logFile: string): ChildProcess {
  // umask 077 while forking: the socket and every file the database creates are for this user only.
  const previous = process.umask(0o077);
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    process.umask(previous);
  }
  // Keep the last output for error messages; the database's own logs go to a file in its directory.
  const chunks: string[] = [];
  const keep = (b: Buffer) => {
    chunks.push(b.toString());
    if (chunks.length > 50) chunks.shift();
    try {
      writeFileSync(logFile, b, { flag: 'a', mode: 0o600 });
    } catch {
      // the directory may be gone while a test cleans up
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  (child as ChildProcess & { recentOutput: () => string }).recentOutput = () => chunks.join('');
  return child;
}

/** Waits for the listener; on failure kills the process and throws with its last output. */
async function waitOrExplain(
  kind: EmbeddedDb['kind'],
  at: Endpoint,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  try {
    await waitForListener(at, child, timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    const recent = (child as ChildProcess & { recentOutput?: () => string }).recentOutput?.() ?? '';
    throw new Error(
      `Could not start the embedded ${kind}: ${(err as Error).message}\n${recent.slice(-2000)}`,
    );
  }
}

/** The driver URI of a mongo-protocol server on a Unix socket. */
export const unixSocketUri = (socketPath: string): string =>
  `mongodb://${encodeURIComponent(socketPath)}/?directConnection=true&retryWrites=false`;

async function startFerretDb(
  bin: string,
  dir: string,
  progress: (line: string) => void,
): Promise<EmbeddedDb> {
  const dbPath = path.join(dir, 'ferretdb');
  mkdirSync(dbPath, { recursive: true, mode: 0o700 });
  let socketDir = dir;
  let ownSocketDir = false;
  if (Buffer.byteLength(path.join(dir, 'db.sock')) > MAX_SOCKET_PATH) {
    socketDir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-db-'));
    chmodSync(socketDir, 0o700);
    ownSocketDir = true;
    progress(`  (data folder path too long for a Unix socket; the socket lives in ${socketDir})`);
  }
  const socketPath = path.join(socketDir, 'db.sock');
  if (existsSync(socketPath)) {
    if (await socketAnswers(socketPath)) {
      throw new Error(`another database already runs in ${dir} (its socket ${socketPath} answers)`);
    }
    unlinkSync(socketPath); // left by a database that was killed
  }
  const child = spawnDb(
    bin,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dbPath}/`,
      // No TCP listener at all: only a process that can enter this 0700 folder reaches the database.
      '--listen-addr=',
      `--listen-unix=${socketPath}`,
      `--state-dir=${dbPath}`,
      '--telemetry=disable',
      '--debug-addr=-',
      '--log-level=warn',
    ],
    path.join(dir, 'ferretdb.log'),
  );
  const cleanup = () => {
    if (ownSocketDir) rmSync(socketDir, { recursive: true, force: true });
  };
  try {
    await waitOrExplain('ferretdb', { path: socketPath }, child, 60_000);
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    kind: 'ferretdb',
    uri: unixSocketUri(socketPath),
    pid: child.pid ?? -1,
    stop: async () => {
      await stopChild(child);
      cleanup();
    },
  };
}

/** Starts the embedded database in `dir` and resolves once it accepts connections. */
export async function startEmbeddedDb(opts: EmbeddedDbOptions): Promise<EmbeddedDb> {
  const progress = opts.progress ?? (() => {});
  const dir = path.resolve(opts.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // also when it existed with looser rights
  const want = process.env.EMBEDDED_DB?.trim() || undefined;
  if (want && want !== 'mongod' && want !== 'ferretdb') {
    throw new Error(`EMBEDDED_DB must be "mongod" or "ferretdb" (got "${want}")`);
  }
  const tried: string[] = [];

  if (want !== 'ferretdb') {
    let mongod = which('mongod');
    if (!mongod) {
      tried.push('mongod: none on the PATH');
      const failed = want === 'mongod' ? null : recentDownloadFailure();
      if (failed) {
        tried.push(`${failed}; not tried again for a day (EMBEDDED_DB=mongod tries now)`);
        progress(
          `No mongod: its download failed less than a day ago, not tried again until then (${downloadFailedFile()}; ` +
            'EMBEDDED_DB=mongod tries now); using FerretDB.',
        );
      } else {
        try {
          mongod = await downloadMongod(progress);
        } catch (err) {
          tried.push((err as Error).message);
          if (want === 'mongod') throw new NoDatabaseError(tried);
          progress(`No mongod (${(err as Error).message}); using FerretDB instead.`);
        }
      }
    }
    if (mongod) return startMongod(mongod, dir, opts, progress);
  }

  let ferret = findFerretDb();
  if (!ferret) {
    const go = opts.goBin === undefined ? defaultGo() : opts.goBin;
    if (!go) {
      tried.push(
        `FerretDB: none in FERRETDB_BIN, on the PATH or in ${path.dirname(ferretDbCachePath())}, and no Go toolchain to build it`,
      );
      throw new NoDatabaseError(tried);
    }
    ferret = buildFerretDb(go, progress);
  } else if (ferret !== ferretDbCachePath()) {
    progress(
      `Using the FerretDB at ${ferret}: unless built with this project's patches (store/embedded.ts), run one server ` +
        'process on it (two writes to one document from two connections can undo each other) and expect slower pages.',
    );
  }
  return startFerretDb(ferret, dir, progress);
}

// ---- Sharing one embedded database between the server and the admin CLI ----

interface DbLock {
  uri: string;
  pid: number;
  ownerPid: number;
}

const lockPath = (dataDir: string) => path.join(dataDir, 'embedded-db.json');

/** True while the process runs; a daemon that exited but was not reaped yet (a zombie) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // Gone between the two checks; or no /proc at all (macOS, Windows), where the signal check is all there is.
    return !existsSync('/proc/self/stat');
  }
}

/** The URI of an embedded database that another live process (the server) already runs in `dataDir`. */
export function findRunningEmbeddedDb(dataDir: string): string | null {
  try {
    const lock = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as DbLock;
    return isProcessAlive(lock.pid) && isProcessAlive(lock.ownerPid) ? lock.uri : null;
  } catch {
    return null;
  }
}

/**
 * The database for DATA_DIR: reuses the one a running process started there, or starts one and records it
 * so that the next process (the admin CLI while the server runs) finds it. `release` stops only what we started.
 */
export async function acquireEmbeddedDb(
  dataDir: string,
  progress?: (line: string) => void,
): Promise<{ uri: string; kind: string; release: () => Promise<void> }> {
  // DATA_DIR holds the secrets, the database and its socket: this user's only, also when it existed before.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const running = findRunningEmbeddedDb(dataDir);
  if (running) return { uri: running, kind: 'shared', release: async () => {} };
  const db = await startEmbeddedDb({ dir: path.join(dataDir, 'db'), progress });
  const lock: DbLock = { uri: db.uri, pid: db.pid, ownerPid: process.pid };
  writeFileSync(lockPath(dataDir), JSON.stringify(lock), { mode: 0o600 });
  return {
    uri: db.uri,
    kind: db.kind,
    release: async () => {
      await db.stop();
      try {
        unlinkSync(lockPath(dataDir));
      } catch {
        // already gone
      }
    },
  };
}
