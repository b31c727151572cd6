// Real server processes for the multi-node tests (`node --import tsx server/src/main.ts`, so that the pid is the
// server itself and SIGKILL kills it), and a failover TCP proxy standing in for a load balancer.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/store/embedded';
import { waitUntil } from './redis';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface NodeProc {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  logFile: string;
  alive(): boolean;
  /** SIGKILL: no goodbye, no graceful shutdown. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL if it takes too long. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The last lines of its log, for failure messages. */
  tail(): string;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

export async function startNode(
  name: string,
  env: Record<string, string>,
  logDir: string,
): Promise<NodeProc> {
  const port = await freePort();
  const logFile = path.join(logDir, `node-${name}.log`);
  const node: NodeProc = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    child: null as unknown as ChildProcess,
    logFile,
    alive: () => node.child.exitCode === null && node.child.signalCode === null,
    async kill() {
      if (!node.alive()) return;
      const done = exited(node.child);
      node.child.kill('SIGKILL');
      await done;
    },
    async stop() {
      if (!node.alive()) return;
      const done = exited(node.child);
      const timer = setTimeout(() => node.child.kill('SIGKILL'), 15_000);
      node.child.kill('SIGTERM');
      await done;
      clearTimeout(timer);
    },
    async start() {
      const fd = openSync(logFile, 'a');
      node.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: serverDir,
        env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      const child = node.child;
      await waitUntil(
        `node ${name} to answer /api/health`,
        async () => {
          if (child.exitCode !== null) throw new Error(`node ${name} exited:\n${node.tail()}`);
          try {
            return (await fetch(`${node.url}/api/health`)).ok;
          } catch {
            return false;
          }
        },
        60_000,
      );
    },
    tail() {
      try {
        return readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      } catch {
        return '';
      }
    },
  };
  await node.start();
  return node;
}

export interface FailoverProxy {
  url: string;
  /** Connections made so far to each backend port. */
  routed: Map<number, number>;
  close(): Promise<void>;
}

/**
 * A load balancer in miniature: each new TCP connection goes to the first backend that accepts it, in the order
 * given. WebSocket-only clients need nothing more (no sticky sessions): every connection is self-contained.
 */
export async function startFailoverProxy(backends: () => number[]): Promise<FailoverProxy> {
  const routed = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const tryBackend = (list: number[]) => {
      const [port, ...rest] = list;
      if (port === undefined) {
        client.destroy();
        return;
      }
      const upstream = net.connect(port, '127.0.0.1');
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        routed.set(port, (routed.get(port) ?? 0) + 1);
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('error', () => {
        if (!connected) tryBackend(rest);
      });
    };
    tryBackend(backends());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routed,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
