// Attachments (SPEC §11) over real HTTP and sockets, on an embedded database of this file's own (so that its files
// can be scanned for clear content): access rules, type from magic bytes, limits declared and streamed, the
// decompression bomb, metadata gone after re-encoding, sealed chunks, idempotent sends and the cleanup.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Attachment, ConversationSummary, Message } from '@support-chat/protocol';
import sharp from 'sharp';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  emitAck,
  registerCustomer,
  type Session,
  startTestServer,
  type TestServer,
} from '../../../test/helpers';
import { data, openConversation, syncMessages, waitFor } from '../../realtime/chat-test-helpers';
import { type EmbeddedDb, startEmbeddedDb } from '../../store/embedded';

const MAX = 1024 * 1024;
const SECRET_KEY = randomBytes(48).toString('base64url');
const OLD_KEY = `t1:${randomBytes(32).toString('base64')}`;
const NEW_KEY = `t2:${randomBytes(32).toString('base64')}`;
const serverEnv = (messageKeys: string) => ({
  MONGO_URI: embedded.uri,
  SECRET_KEY,
  MESSAGE_KEYS: messageKeys,
  ATTACHMENT_MAX_BYTES: String(MAX),
  ATTACHMENT_UPLOADS_PER_MINUTE: '60',
  MESSAGE_RATE_PER_SECOND: '1000',
  MESSAGE_BURST: '1000',
});

let dbDir: string;
let embedded: EmbeddedDb;
let srv: TestServer;
const sockets: Socket[] = [];
let customer: Session;
let other: Session;
let agent: Session;
let salesAgent: Session;
let conv: ConversationSummary;
let foreignConv: ConversationSummary;
let cs: Socket;
let as: Socket;

const connect = async (s: Session) => {
  const socket = await connectSocket(srv.url, s.accessToken);
  sockets.push(socket);
  return socket;
};

interface Answer<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  raw: Buffer;
}

/** A raw HTTP request (node:http: full control over Content-Length and chunked bodies). */
function request<T = unknown>(
  method: string,
  urlPath: string,
  opts: {
    token?: string;
    headers?: Record<string, string>;
    body?: Buffer | Buffer[];
    /** Send only the headers and wait for the answer. */
    headersOnly?: boolean;
  } = {},
): Promise<Answer<T>> {
  const url = new URL(urlPath, srv.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (p: Buffer) => parts.push(p));
        res.on('end', () => {
          const raw = Buffer.concat(parts);
          let body: unknown = null;
          if (String(res.headers['content-type']).startsWith('application/json'))
            body = JSON.parse(raw.toString('utf8'));
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, raw });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.headersOnly) {
      req.flushHeaders();
      return;
    }
    const pieces = Array.isArray(opts.body) ? opts.body : opts.body ? [opts.body] : [];
    for (const p of pieces) req.write(p);
    req.end();
  });
}

const upload = (
  token: string,
  conversationId: string,
  name: string,
  bytes: Buffer,
  type = '',
): Promise<Answer<{ attachment: Attachment; error?: { code: string; message: string } }>> =>
  request('POST', `/api/conversations/${conversationId}/attachments`, {
    token,
    headers: {
      'x-filename': encodeURIComponent(name),
      'content-length': String(bytes.length),
      ...(type ? { 'content-type': type } : {}),
    },
    body: bytes,
  });

const uploaded = async (token: string, conversationId: string, name: string, bytes: Buffer, type = '') => {
  const res = await upload(token, conversationId, name, bytes, type);
  if (res.status !== 201) throw new Error(`upload ${res.status}: ${res.raw.toString('utf8')}`);
  return res.body.attachment;
};

const download = (token: string | undefined, id: string, thumb = false) =>
  request('GET', `/api/attachments/${id}${thumb ? '?thumb=1' : ''}`, { token });

const send = (
  socket: Socket,
  conversationId: string,
  attachmentIds: string[],
  text = '',
  clientMsgId = randomUUID(),
) =>
  emitAck<{ message: Message }>(socket, 'message:send', { conversationId, clientMsgId, text, attachmentIds });

const pdf = (extra = '') =>
  Buffer.from(
    `%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${extra}\n${'x'.repeat(2000)}\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
  );

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    const st = statSync(p);
    return st.isDirectory() ? filesUnder(p) : st.isFile() ? [p] : [];
  });
const filesContaining = (dir: string, needle: Buffer): string[] =>
  filesUnder(dir).filter((f) => readFileSync(f).includes(needle));

/** A PNG whose header declares width x height, with one tiny compressed row: what a decompression bomb looks like. */
function declaredPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

beforeAll(async () => {
  dbDir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-attach-db-'));
  embedded = await startEmbeddedDb({ dir: dbDir });
  srv = await startTestServer({ env: serverEnv(OLD_KEY) });
  [customer, other, agent, salesAgent] = await Promise.all([
    registerCustomer(srv.url),
    registerCustomer(srv.url),
    createAgent(srv, { departments: ['billing'] }),
    createAgent(srv, { departments: ['sales'] }),
  ]);
  cs = await connect(customer);
  as = await connect(agent);
  const os2 = await connect(other);
  conv = await openConversation(cs, 'billing');
  foreignConv = await openConversation(os2, 'billing');
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv?.close();
  await embedded?.stop();
  rmSync(dbDir, { recursive: true, force: true });
});

describe('upload and download', () => {
  it('needs a token for both', async () => {
    const up = await request('POST', `/api/conversations/${conv.id}/attachments`, {
      headers: { 'x-filename': 'a.pdf', 'content-length': '10' },
      body: Buffer.from('%PDF-1.4\n\n'),
    });
    expect(up.status).toBe(401);
    const a = await uploaded(customer.accessToken, conv.id, 'a.pdf', pdf());
    expect((await download(undefined, a.id)).status).toBe(401);
    expect((await download('not-a-token', a.id)).status).toBe(401);
  });

  it('stores a PDF and serves it back to its uploader as a download, with the safety headers', async () => {
    const bytes = pdf('hello');
    const a = await uploaded(customer.accessToken, conv.id, 'Facture été.pdf', bytes, 'application/pdf');
    expect(a).toMatchObject({ name: 'Facture été.pdf', size: bytes.length, contentType: 'application/pdf' });
    const res = await download(customer.accessToken, a.id);
    expect(res.status).toBe(200);
    expect(res.raw.equals(bytes)).toBe(true);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe('sandbox');
    expect(res.headers['content-disposition']).toMatch(/^attachment; /);
    expect(res.headers['content-disposition']).toContain("filename*=UTF-8''Facture%20%C3%A9t%C3%A9.pdf");
  });

  it('stores a file of several chunks (streamed without Content-Length) byte for byte', async () => {
    const bytes = Buffer.concat([pdf(), randomBytes(700 * 1024)]);
    const pieces = Array.from({ length: 10 }, (_, i) =>
      bytes.subarray((i * bytes.length) / 10, ((i + 1) * bytes.length) / 10),
    );
    const res = await request<{ attachment: Attachment }>(
      'POST',
      `/api/conversations/${conv.id}/attachments`,
      {
        token: customer.accessToken,
        headers: { 'x-filename': 'big.pdf', 'transfer-encoding': 'chunked' },
        body: pieces,
      },
    );
    expect(res.status).toBe(201);
    const got = await download(customer.accessToken, res.body.attachment.id);
    expect(got.raw.equals(bytes)).toBe(true);
  });

  it('answers 404 for a conversation or a file the caller may not read, before and after sending', async () => {
    // Into someone else's conversation: 404, nothing stored.
    const into = await upload(customer.accessToken, foreignConv.id, 'x.pdf', pdf());
    expect(into.status).toBe(404);
    const a = await uploaded(customer.accessToken, conv.id, 'private.pdf', pdf());
    // Not sent yet: only the uploader.
    expect((await download(other.accessToken, a.id)).status).toBe(404);
    expect((await download(agent.accessToken, a.id)).status).toBe(404);
    data(await send(cs, conv.id, [a.id]));
    // Sent: the department's agents too; never another customer or another department.
    expect((await download(agent.accessToken, a.id)).status).toBe(200);
    const foreign = await download(other.accessToken, a.id);
    expect(foreign.status).toBe(404);
    expect((foreign.body as { error: { code: string } }).error.code).toBe('not_found');
    expect((await download(salesAgent.accessToken, a.id)).status).toBe(404);
    expect((await download(customer.accessToken, '0123456789abcdef01234567')).status).toBe(404);
  });
});

describe('types from magic bytes', () => {
  const refused = async (name: string, bytes: Buffer, type = '') => {
    const res = await upload(customer.accessToken, conv.id, name, bytes, type);
    return { status: res.status, code: res.body?.error?.code, message: res.body?.error?.message ?? '' };
  };

  it('refuses with 415 what the name or the header misdescribes, and types not allowed', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
      .png()
      .toBuffer();
    expect(await refused('photo.png', pdf())).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(await refused('doc.pdf', png)).toMatchObject({ status: 415 });
    expect(await refused('photo', png, 'application/pdf')).toMatchObject({ status: 415 });
    expect(await refused('page.html', Buffer.from('<html><script>alert(1)</script></html>'))).toMatchObject({
      status: 415,
    });
    expect(
      await refused('pic.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')),
    ).toMatchObject({
      status: 415,
    });
    expect(await refused('notes.txt', Buffer.from('text\u0000with NUL'))).toMatchObject({ status: 415 });
    expect(await refused('notes.txt', Buffer.from([0x61, 0xff, 0xfe, 0x62]))).toMatchObject({ status: 415 });
    // A ZIP is not in the default allow-list, whatever its name.
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200)]);
    expect(await refused('archive.zip', zip)).toMatchObject({ status: 415 });
    // The right ones go through: a PNG named without extension, plain text as text/csv.
    expect((await upload(customer.accessToken, conv.id, 'clipboard', png)).status).toBe(201);
    const csv = await upload(
      customer.accessToken,
      conv.id,
      'rows.csv',
      Buffer.from('a,b\n1,2\n'),
      'text/csv',
    );
    expect(csv.status).toBe(201);
    expect(csv.body.attachment.contentType).toBe('text/plain');
    const served = await download(customer.accessToken, csv.body.attachment.id);
    expect(served.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(served.headers['content-disposition']).toMatch(/^attachment; /);
  });
});

describe('limits', () => {
  const stored = () =>
    srv.server.store.db.collection('attachments').countDocuments({ uploaderId: other.user.id });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    const before = await stored();
    const otherConv = foreignConv.id;
    const res = await request<{ error: { code: string } }>(
      'POST',
      `/api/conversations/${otherConv}/attachments`,
      {
        token: other.accessToken,
        headers: { 'x-filename': 'huge.pdf', 'content-length': String(MAX + 1) },
        headersOnly: true,
      },
    );
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await stored()).toBe(before);
  });

  it('stops a streamed body at the limit with 413 and keeps nothing of it', async () => {
    const before = await stored();
    const chunkCount = await srv.server.store.db.collection('attachment_chunks').estimatedDocumentCount();
    const body = Buffer.concat([pdf(), randomBytes(MAX + 64 * 1024)]);
    const pieces = Array.from({ length: 20 }, (_, i) =>
      body.subarray((i * body.length) / 20, ((i + 1) * body.length) / 20),
    );
    const res = await request<{ error: { code: string } }>(
      'POST',
      `/api/conversations/${foreignConv.id}/attachments`,
      {
        token: other.accessToken,
        headers: { 'x-filename': 'stream.pdf', 'transfer-encoding': 'chunked' },
        body: pieces,
      },
    );
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await stored()).toBe(before);
    expect(await srv.server.store.db.collection('attachment_chunks').estimatedDocumentCount()).toBe(
      chunkCount,
    );
  });

  it('keeps nothing of an upload the client abandons halfway', async () => {
    const before = await stored();
    const chunks = srv.server.store.db.collection('attachment_chunks');
    const chunkCount = await chunks.estimatedDocumentCount();
    const req = http.request(new URL(`/api/conversations/${foreignConv.id}/attachments`, srv.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${other.accessToken}`,
        'x-filename': 'half.pdf',
        'content-length': String(MAX),
      },
    });
    req.on('error', () => {});
    req.write(Buffer.concat([pdf(), randomBytes(600 * 1024)]));
    // Once the server has stored the first chunks, the client goes away.
    await expect.poll(() => chunks.estimatedDocumentCount(), { timeout: 15_000 }).toBeGreaterThan(chunkCount);
    req.destroy();
    await expect.poll(() => chunks.estimatedDocumentCount(), { timeout: 15_000 }).toBe(chunkCount);
    expect(await stored()).toBe(before);
  });

  it('refuses a decompression bomb (a tiny PNG declaring 50,000 x 50,000 pixels) without decoding it', async () => {
    const bomb = declaredPng(50_000, 50_000);
    expect(bomb.length).toBeLessThan(200_000);
    const rssBefore = process.memoryUsage().rss;
    const res = await upload(customer.accessToken, conv.id, 'bomb.png', bomb);
    expect(res.status).toBe(413);
    expect(res.body.error?.message).toMatch(/pixels/);
    // Decoding it would take 2.5 GB; the process grew by far less.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
  });

  it('limits uploads per user (429 with Retry-After)', async () => {
    const limited = await registerCustomer(srv.url);
    const ls = await connect(limited);
    const lc = await openConversation(ls, 'sales');
    const answers: number[] = [];
    for (let i = 0; i < 90; i++) {
      const res = await upload(limited.accessToken, lc.id, `n${i}.txt`, Buffer.from(`note ${i}`));
      answers.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        break;
      }
    }
    expect(answers.at(-1)).toBe(429);
    expect(answers.slice(0, -1).every((s) => s === 201)).toBe(true);
  });
});

describe('images', () => {
  it('are re-encoded without EXIF GPS or text chunks, with a thumbnail of at most 320 px', async () => {
    const canary = `gps-canary-${randomUUID()}`;
    const jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3366aa' } })
      .withExif({
        IFD0: { ImageDescription: canary, Make: 'CanaryCam' },
        IFD3: {
          GPSLatitudeRef: 'N',
          GPSLatitude: '48/1 51/1 24/1',
          GPSLongitudeRef: 'E',
          GPSLongitude: '2/1 21/1 3/1',
        },
      })
      .jpeg()
      .toBuffer();
    const before = await sharp(jpeg).metadata();
    expect(before.exif).toBeDefined();
    expect(jpeg.includes(Buffer.from(canary))).toBe(true);
    const a = await uploaded(customer.accessToken, conv.id, 'IMG_0001.JPG', jpeg, 'image/jpeg');
    expect(a).toMatchObject({ contentType: 'image/jpeg', width: 1200, height: 800 });
    const full = await download(customer.accessToken, a.id);
    expect(full.headers['content-disposition']).toMatch(/^inline; /);
    expect(full.headers['content-security-policy']).toBe('sandbox');
    const after = await sharp(full.raw).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.width).toBe(1200);
    expect(full.raw.includes(Buffer.from(canary))).toBe(false);
    expect(full.raw.includes(Buffer.from('GPS'))).toBe(false);
    const thumb = await download(customer.accessToken, a.id, true);
    expect(thumb.headers['content-type']).toBe('image/webp');
    const t = await sharp(thumb.raw).metadata();
    expect(Math.max(t.width ?? 0, t.height ?? 0)).toBe(320);

    // A PNG with a text chunk: gone after re-encoding.
    const png = await sharp({ create: { width: 40, height: 30, channels: 4, background: '#ff000080' } })
      .png()
      .withMetadata({})
      .toBuffer();
    const withText = insertPngText(png, 'Comment', canary);
    expect(withText.includes(Buffer.from(canary))).toBe(true);
    const p = await uploaded(customer.accessToken, conv.id, 'shot.png', withText);
    const served = await download(customer.accessToken, p.id);
    expect(served.raw.includes(Buffer.from(canary))).toBe(false);
    expect((await sharp(served.raw).metadata()).width).toBe(40);
  });
});

/** A tEXt chunk inserted after IHDR. */
function insertPngText(png: Buffer, key: string, value: string): Buffer {
  const body = Buffer.from(`${key}\u0000${value}`, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const td = Buffer.concat([Buffer.from('tEXt'), body]);
  let c = 0xffffffff;
  for (const b of td) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  const ihdrEnd = 8 + 8 + 13 + 4;
  return Buffer.concat([png.subarray(0, ihdrEnd), len, td, crc, png.subarray(ihdrEnd)]);
}

describe('messages with attachments', () => {
  it('carry their files; a retried send attaches nothing twice; another send cannot take them', async () => {
    const a = await uploaded(customer.accessToken, conv.id, 'invoice.pdf', pdf());
    const clientMsgId = randomUUID();
    const created = waitFor<{ message: Message }>(
      as,
      'message:created',
      (p) => p.message.clientMsgId === clientMsgId,
    );
    const first = data(await send(cs, conv.id, [a.id], '', clientMsgId)).message;
    expect(first.text).toBe('');
    expect(first.attachments).toEqual([a]);
    expect((await created).message.attachments).toEqual([a]);
    // The same send again (a retry), and racing twins of it: the one stored message.
    const again = await Promise.all([1, 2, 3].map(() => send(cs, conv.id, [a.id], '', clientMsgId)));
    for (const r of again) expect(data(r).message).toMatchObject({ id: first.id, seq: first.seq });
    // Another send (another clientMsgId) cannot take a file already sent.
    const stolen = await send(cs, conv.id, [a.id], 'again');
    expect(stolen.ok).toBe(false);
    if (!stolen.ok) expect(stolen.error.code).toBe('not_found');
    // Nor can someone else send the customer's upload, even in a conversation they may write in.
    const b = await uploaded(customer.accessToken, conv.id, 'b.pdf', pdf());
    const byAgent = await send(as, conv.id, [b.id], 'hi');
    expect(byAgent.ok).toBe(false);
    // Two different sends racing for one file: exactly one gets it.
    const race = await Promise.all([send(cs, conv.id, [b.id], 'one'), send(cs, conv.id, [b.id], 'two')]);
    expect(race.filter((r) => r.ok)).toHaveLength(1);

    const all = await syncMessages(cs, conv.id);
    const holding = all.filter((m) => m.attachments?.some((x) => x.id === a.id));
    expect(holding.map((m) => m.id)).toEqual([first.id]);
    expect(all.filter((m) => m.attachments?.some((x) => x.id === b.id))).toHaveLength(1);
    const stored = await srv.server.store.db
      .collection('messages')
      .find({ conversationId: conv.id })
      .toArray();
    expect(stored.filter((m) => m.clientMsgId === clientMsgId)).toHaveLength(1);
    // History over HTTP carries them too.
    const history = await request<{ messages: Message[] }>('GET', `/api/conversations/${conv.id}/messages`, {
      token: agent.accessToken,
    });
    expect(history.body.messages.find((m) => m.id === first.id)?.attachments).toEqual([a]);
  });

  it('preview as "sent a photo" / "sent a file: name" in the conversation summary', async () => {
    const c2 = await openConversation(cs, 'sales');
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } })
      .png()
      .toBuffer();
    const photo = await uploaded(customer.accessToken, c2.id, 'a.png', png);
    const photoUpdate = waitFor<{ conversation: ConversationSummary }>(
      cs,
      'conversation:updated',
      (p) => p.conversation.id === c2.id && p.conversation.lastSeq === 1,
    );
    data(await send(cs, c2.id, [photo.id]));
    expect((await photoUpdate).conversation.lastMessage?.text).toBe('sent a photo');
    const file = await uploaded(customer.accessToken, c2.id, 'invoice.pdf', pdf());
    const fileUpdate = waitFor<{ conversation: ConversationSummary }>(
      cs,
      'conversation:updated',
      (p) => p.conversation.id === c2.id && p.conversation.lastSeq === 2,
    );
    data(await send(cs, c2.id, [file.id], '  '));
    expect((await fileUpdate).conversation.lastMessage?.text).toBe('sent a file: invoice.pdf');
    // Plain messages still need text.
    const empty = await emitAck(cs, 'message:send', {
      conversationId: c2.id,
      clientMsgId: randomUUID(),
      text: ' ',
    });
    expect(empty.ok).toBe(false);
  });

  it('deletes uploads no message holds after the hour, and keeps sent ones', async () => {
    const kept = await uploaded(customer.accessToken, conv.id, 'kept.pdf', pdf());
    data(await send(cs, conv.id, [kept.id], 'with a file'));
    const orphan = await uploaded(
      customer.accessToken,
      conv.id,
      'orphan.pdf',
      Buffer.concat([pdf(), randomBytes(300_000)]),
    );
    const chunks = srv.server.store.db.collection('attachment_chunks');
    expect(
      await chunks.countDocuments({ _id: { $gte: `${orphan.id}:`, $lt: `${orphan.id};` } as never }),
    ).toBe(2);
    // Not yet: within the hour nothing goes.
    await srv.server.services.attachments.cleanup(new Date(Date.now() + 30 * 60_000));
    expect((await download(customer.accessToken, orphan.id)).status).toBe(200);
    const removed = await srv.server.services.attachments.cleanup(new Date(Date.now() + 61 * 60_000));
    expect(removed).toBeGreaterThanOrEqual(1);
    expect((await download(customer.accessToken, orphan.id)).status).toBe(404);
    expect(
      await chunks.countDocuments({ _id: { $gte: `${orphan.id}:`, $lt: `${orphan.id};` } as never }),
    ).toBe(0);
    expect((await download(customer.accessToken, kept.id)).status).toBe(200);
    expect((await download(agent.accessToken, kept.id)).status).toBe(200);
  });
});

describe('at rest', () => {
  it('keeps no file content or name in clear in the database files', async () => {
    const canary = `file-canary-${randomUUID()}`;
    const nameCanary = `name-canary-${randomUUID().slice(0, 8)}`;
    const text = Buffer.from(`${canary}\n`.repeat(2000));
    const a = await uploaded(customer.accessToken, conv.id, `${nameCanary}.txt`, text);
    data(await send(cs, conv.id, [a.id]));
    const doc = await srv.server.store.db.collection('attachments').findOne({ _id: a.id as never });
    expect(doc?.keyId).toBe('t1');
    expect(JSON.stringify(doc)).not.toContain(nameCanary);
    // The scan sees live data (the username is in clear), but neither the content nor the name.
    expect(filesContaining(dbDir, Buffer.from(customer.user.username)).length).toBeGreaterThan(0);
    expect(filesContaining(dbDir, Buffer.from(canary))).toEqual([]);
    expect(filesContaining(dbDir, Buffer.from(nameCanary))).toEqual([]);
    expect(filesContaining(srv.dataDir, Buffer.from(canary))).toEqual([]);
    // A chunk moved to another file's place does not decrypt: the download fails rather than serve it.
    const b = await uploaded(customer.accessToken, conv.id, 'other.txt', Buffer.from('other content'));
    const chunks = srv.server.store.db.collection('attachment_chunks');
    const chunkA = await chunks.findOne({ _id: `${a.id}:f:000000` as never });
    await chunks.updateOne(
      { _id: `${b.id}:f:000000` as never },
      { $set: { data: chunkA?.data, nonce: chunkA?.nonce } },
    );
    const moved = await download(customer.accessToken, b.id);
    expect(moved.status).toBe(500);
    expect(moved.raw.toString('utf8')).not.toContain(canary);
  });
});

describe('key rotation', () => {
  it('keeps old files readable after a new key is put in front; new files use the new key', async () => {
    const oldBytes = pdf('before rotation');
    const before = await uploaded(customer.accessToken, conv.id, 'before.pdf', oldBytes);
    data(await send(cs, conv.id, [before.id]));
    for (const s of sockets) s.disconnect();
    await srv.close({ keepDatabase: true });
    srv = await startTestServer({ dbName: srv.dbName, env: serverEnv(`${NEW_KEY},${OLD_KEY}`) });
    const got = await download(agent.accessToken, before.id);
    expect(got.status).toBe(200);
    expect(got.raw.equals(oldBytes)).toBe(true);
    const after = await uploaded(customer.accessToken, conv.id, 'after.pdf', pdf('after rotation'));
    const chunk = await srv.server.store.db
      .collection('attachment_chunks')
      .findOne({ _id: `${after.id}:f:000000` as never });
    expect(chunk?.keyId).toBe('t2');
    const cs2 = await connect(customer);
    const messages = await syncMessages(cs2, conv.id);
    expect(messages.find((m) => m.attachments?.some((a) => a.id === before.id))?.attachments?.[0]?.name).toBe(
      'before.pdf',
    );
  });
});
