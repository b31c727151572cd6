// Preloaded into a measured server process (`--import <this file>`, with `--expose-gc`): answers the bench's IPC
// requests for memory after a full GC and records a CPU profile of exactly the measurement window.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';

interface ProbeRequest {
  probe: 'memory' | 'profile-start' | 'profile-stop' | 'heap-snapshot' | 'ping';
  file?: string;
}

const KINDS = new Set<string>(['memory', 'profile-start', 'profile-stop', 'heap-snapshot', 'ping']);
const gc = (globalThis as { gc?: () => void }).gc;
let session: Session | null = null;

async function handle(req: ProbeRequest): Promise<Record<string, unknown>> {
  switch (req.probe) {
    case 'ping':
      return {};
    case 'memory': {
      // Two passes: the first may only schedule finalizers (weak refs, sockets) that the second collects.
      gc?.();
      await new Promise((r) => setImmediate(r));
      gc?.();
      const m = process.memoryUsage();
      return {
        gc: Boolean(gc),
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      };
    }
    case 'heap-snapshot': {
      gc?.();
      return { file: v8.writeHeapSnapshot(req.file) };
    }
    case 'profile-start': {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
      return {};
    }
    case 'profile-stop': {
      if (!session) return { error: 'not profiling' };
      const { profile } = await session.post('Profiler.stop');
      if (req.file) writeFileSync(req.file, JSON.stringify(profile));
      session.disconnect();
      session = null;
      return { file: req.file };
    }
  }
}

if (process.send) {
  process.on('message', (msg: unknown) => {
    const req = msg as ProbeRequest;
    if (!req || typeof req !== 'object' || !KINDS.has(req.probe)) return;
    handle(req).then(
      (answer) => process.send?.({ probe: req.probe, ...answer }),
      (err: Error) => process.send?.({ probe: req.probe, error: err.message }),
    );
  });
  // The IPC channel must not keep a server alive that is shutting down.
  process.channel?.unref();
}
