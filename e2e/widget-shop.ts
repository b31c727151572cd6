// The demo shop (examples/shop/server.mjs) as the browser tests run it: on http://localhost:<port>, another site
// than the chat server's http://127.0.0.1:<port>, so the widget's frame is a third-party frame there.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@support-chat/server/testkit';
import { type RunningServer, runAdmin } from './fixtures';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Shop {
  url: string;
  port: number;
  site: string;
  secret: string;
  stop(): Promise<void>;
}

/** Registers a site with the owner's command line; answers its secret (the last line of the output). */
export async function createSite(
  server: RunningServer,
  opts: { id: string; origins: string[]; departments?: string[]; identity: 'off' | 'optional' | 'required' },
): Promise<string> {
  const out = await runAdmin(server, [
    'create-site',
    '--id',
    opts.id,
    '--name',
    `Shop ${opts.id}`,
    '--origins',
    opts.origins.join(','),
    ...(opts.departments ? ['--departments', opts.departments.join(',')] : []),
    '--identity',
    opts.identity,
  ]);
  const secret = out.trim().split('\n').at(-1) ?? '';
  if (!/^[A-Za-z0-9_-]{43}$/.test(secret)) throw new Error(`no secret in the output:\n${out}`);
  return secret;
}

/** Starts the demo shop for a site; `chatUrl` may point at a server that is down. */
export async function startShop(opts: {
  chatUrl: string;
  site: string;
  secret: string;
  port?: number;
}): Promise<Shop> {
  const port = opts.port ?? (await freePort());
  const url = `http://localhost:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['examples/shop/server.mjs'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      CHAT_URL: opts.chatUrl,
      SITE_ID: opts.site,
      SITE_SECRET: opts.secret,
      SHOP_ORIGIN: url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shop did not start:\n${output}`)), 20_000);
    child.stdout?.on('data', (b: Buffer) => {
      output += b.toString();
      if (output.includes('Demo shop on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`shop exited (${code}):\n${output}`));
    });
  });
  return {
    url,
    port,
    site: opts.site,
    secret: opts.secret,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An identity token as a shop's backend signs it, or a bad one for the refusal tests. */
export function identityToken(
  secret: string,
  claims: Record<string, unknown>,
  opts: { alg?: string; iat?: number; exp?: number } = {},
): string {
  const iat = opts.iat ?? Math.floor(Date.now() / 1000);
  const alg = opts.alg ?? 'HS256';
  const body = `${b64({ alg, typ: 'JWT' })}.${b64({ ...claims, iat, exp: opts.exp ?? iat + 600 })}`;
  if (alg === 'none') return `${body}.`;
  const hash = alg === 'HS512' ? 'sha512' : 'sha256';
  return `${body}.${createHmac(hash, secret).update(body).digest('base64url')}`;
}
