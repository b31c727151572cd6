// Attachments (issue 12): N concurrent uploads of a 10 MiB PDF (random bytes behind a PDF header, so nothing
// compresses) to N customers' conversations, in several rounds; aggregate throughput in MiB/s, each upload's time,
// and the server's RSS sampled every 20 ms from /proc (its memory must stay flat: uploads are streamed chunk by
// chunk into the database). One file per round is downloaded and compared, so the numbers are for stored bytes.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { io as ioClient } from 'socket.io-client';
import { registerCustomers, startFreshChatServer } from '../lib/chat';
import { type CpuReport, CpuWindow } from '../lib/procs';
import { type LatencySummary, summarize } from '../lib/stats';

const MiB = 1024 * 1024;

export interface UploadRound {
  round: number;
  uploads: number;
  failed: number;
  wallSeconds: number;
  mibPerSecond: number;
  perUploadMs: LatencySummary;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
  dbRssPeakMiB: number | null;
  cpu: CpuReport;
}

export interface UploadsRun {
  concurrency: number;
  fileMiB: number;
  kind: 'pdf' | 'jpeg';
  /** The file's exact size (the JPEG's is what the encoder made). */
  fileBytes: number;
  rssIdleMiB: number;
  rounds: UploadRound[];
  verified: boolean;
}

const rssMiB = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : 0;
  } catch {
    return 0;
  }
};

function pdfOf(bytes: number): Buffer {
  const head = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
  const tail = Buffer.from('\n%%EOF\n');
  return Buffer.concat([head, randomBytes(bytes - head.length - tail.length), tail]);
}

/** One upload over plain HTTP with a Content-Length, written in 64 KiB pieces as a browser would stream it. */
/** A noisy photo (noise does not compress: a large JPEG of width x height), as phones send them. */
async function photoOf(width: number, height: number): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 50 },
    },
  })
    .jpeg({ quality: 92 })
    .toBuffer();
}

function upload(
  url: string,
  token: string,
  conversationId: string,
  body: Buffer,
  kind: 'pdf' | 'jpeg',
): Promise<{ status: number; id?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/conversations/${conversationId}/attachments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'x-filename': kind === 'pdf' ? 'manual.pdf' : 'photo.jpg',
        'content-type': kind === 'pdf' ? 'application/pdf' : 'image/jpeg',
        'content-length': String(body.length),
      },
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (p: Buffer) => parts.push(p));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let id: string | undefined;
        try {
          id = (JSON.parse(text) as { attachment?: { id: string } }).attachment?.id;
        } catch {
          id = undefined;
        }
        resolve({ status: res.statusCode ?? 0, id });
      });
    });
    req.on('error', reject);
    let offset = 0;
    const write = () => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        if (!req.write(piece)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

async function openConversation(url: string, token: string): Promise<string> {
  const socket = ioClient(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const r = (await socket.timeout(15_000).emitWithAck('conversation:open', { department: 'billing' })) as {
      ok: boolean;
      data?: { conversation: { id: string } };
    };
    if (!r.ok || !r.data) throw new Error('conversation:open failed');
    return r.data.conversation.id;
  } finally {
    socket.disconnect();
  }
}

export async function uploadsRun(opts: {
  logDir: string;
  mongoUri: string;
  dbPid?: number;
  concurrency: number;
  rounds: number;
  fileMiB: number;
  kind: 'pdf' | 'jpeg';
  env?: Record<string, string>;
}): Promise<UploadsRun> {
  const { tag, server } = await startFreshChatServer('uploads', {
    logDir: opts.logDir,
    mongoUri: opts.mongoUri,
    env: { ATTACHMENT_UPLOADS_PER_MINUTE: '100000', ...opts.env },
  });
  try {
    const tokens = await registerCustomers(server.url, opts.concurrency, tag);
    const conversations = await Promise.all(tokens.map((t) => openConversation(server.url, t)));
    // JPEG: about fileMiB of noise at 3 bytes a pixel compressed ~2.5x by the encoder; re-encoded by the server, so
    // the stored bytes differ from the sent ones (no digest check then, the size is checked instead).
    const side = Math.round(Math.sqrt((opts.fileMiB * MiB * 2.5) / 3 / 1.5));
    const body =
      opts.kind === 'pdf' ? pdfOf(opts.fileMiB * MiB) : await photoOf(Math.round(side * 1.5), side);
    const digest = createHash('sha256').update(body).digest('hex');
    // Warm-up: one small upload (code paths, the collections).
    await upload(server.url, tokens[0] as string, conversations[0] as string, pdfOf(64 * 1024), 'pdf');
    const rssIdleMiB = rssMiB(server.pid);
    const rounds: UploadRound[] = [];
    let verified = true;
    for (let round = 1; round <= opts.rounds; round++) {
      const rssBefore = rssMiB(server.pid);
      let peak = rssBefore;
      let dbPeak = opts.dbPid ? rssMiB(opts.dbPid) : 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssMiB(server.pid));
        if (opts.dbPid) dbPeak = Math.max(dbPeak, rssMiB(opts.dbPid));
      }, 20);
      const cpu = new CpuWindow({ server: server.pid, ...(opts.dbPid ? { database: opts.dbPid } : {}) });
      const t0 = performance.now();
      const times: number[] = [];
      const results = await Promise.all(
        tokens.map(async (token, i) => {
          const s = performance.now();
          const r = await upload(server.url, token, conversations[i] as string, body, opts.kind);
          times.push(performance.now() - s);
          return r;
        }),
      );
      const wall = (performance.now() - t0) / 1000;
      const cpuReport = cpu.stop();
      clearInterval(sampler);
      const ok = results.filter((r) => r.status === 201);
      // The bytes stored are the bytes sent: one file of the round, downloaded and hashed.
      const first = ok[0];
      if (first?.id) {
        const res = await fetch(`${server.url}/api/attachments/${first.id}`, {
          headers: { authorization: `Bearer ${tokens[results.indexOf(first)]}` },
        });
        const bytes = Buffer.from(await res.arrayBuffer());
        const got = createHash('sha256').update(bytes).digest('hex');
        verified &&= opts.kind === 'pdf' ? got === digest : res.status === 200 && bytes.length > 0;
      } else verified = false;
      rounds.push({
        round,
        uploads: results.length,
        failed: results.length - ok.length,
        wallSeconds: Math.round(wall * 100) / 100,
        mibPerSecond: Math.round(((ok.length * body.length) / MiB / wall) * 10) / 10,
        perUploadMs: summarize(times),
        rssBeforeMiB: rssBefore,
        rssPeakMiB: peak,
        rssAfterMiB: rssMiB(server.pid),
        dbRssPeakMiB: opts.dbPid ? dbPeak : null,
        cpu: cpuReport,
      });
    }
    return {
      concurrency: opts.concurrency,
      fileMiB: opts.fileMiB,
      kind: opts.kind,
      fileBytes: body.length,
      rssIdleMiB,
      rounds,
      verified,
    };
  } finally {
    await server.stop();
  }
}
