// Attachments (SPEC §11): uploads streamed into the database chunk by chunk, each chunk sealed; the type decided
// from the content's magic bytes; images re-encoded (metadata gone) with a thumbnail, a bounded number at once;
// files served only to those who may read the conversation; sends take their files once; unsent ones expire.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  ATTACHMENT_KINDS,
  type Attachment,
  describeTypes,
  ErrorCode,
  extensionOf,
  fail,
  formatBytes,
  isRasterImage,
  ok,
  type Result,
  THUMBNAIL_MAX_PX,
} from '@support-chat/protocol';
import type { OutputInfo } from 'sharp';
import type { Config } from '../config';
import { createLogger } from '../log';
import { errorsTotal } from '../metrics';
import {
  type AttachmentDoc,
  type AttachmentPart,
  type AttachmentPartName,
  type AttachmentStore,
  toBinary,
} from '../store/attachments';
import type { ConversationDoc } from '../store/conversations';
import { fromBinary, type MessageStore } from '../store/messages';
import { type Actor, findAccessible } from './actor';
import type { MessageCipher } from './crypto';
import type { RateLimiter } from './ratelimit';

const log = createLogger('attachments');

/** `load` once, when first asked for. */
const onFirstUse = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
};

// The file-type and image libraries are loaded with the first upload: a fifth of a second of every server start
// (a restart's downtime) that most starts never use.
const loadFileType = onFirstUse(() => import('file-type'));
const loadSharp = onFirstUse(async () => {
  const lib = await import('sharp');
  // libvips' operation cache would keep decoded images around after their upload ended.
  lib.default.cache(false);
  return lib;
});

/** Stored chunk size (GridFS's default). */
export const CHUNK_BYTES = 255 * 1024;
/** What file-type needs to see to decide. */
const HEAD_BYTES = 4100;
/** Decoded pixels an image may declare (a 50,000 x 50,000 PNG declares 2.5 billion): refused before decoding. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Longest file name kept (characters). */
const MAX_NAME_CHARS = 200;
/** A free upload may be sent until this long before it would be cleaned up. */
const CLAIM_MARGIN_MS = 5 * 60_000;

const newId = (): string =>
  Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0') + randomBytes(8).toString('hex');

const kindOfMime = (mime: string): string | null =>
  Object.entries(ATTACHMENT_KINDS).find(([kind, k]) => kind !== 'text' && k.contentType === mime)?.[0] ??
  null;

const nameAd = (id: string) => `attachment:${id}:name`;
const chunkAd = (id: string, part: AttachmentPartName, n: number) => `attachment:${id}:${part}:${n}`;

/** A name as given, made harmless to show and to offer as a download name: no path, no controls, bounded. */
export function cleanFileName(raw: string): string {
  let name = raw.normalize('NFC');
  name = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  name = name.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200e\u200f]/g, '').trim();
  name = name.replace(/^\.+/, '');
  const chars = [...name];
  if (chars.length > MAX_NAME_CHARS) {
    const ext = extensionOf(name);
    const keep = MAX_NAME_CHARS - ext.length - 1;
    name =
      ext && ext.length < 16
        ? `${chars.slice(0, keep).join('')}.${ext}`
        : chars.slice(0, MAX_NAME_CHARS).join('');
  }
  return name || 'file';
}

/** A few at a time; the rest wait in order. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Pulls a request body piece by piece; stopping early leaves the stream open (the transport drains it). */
class BodyReader {
  private readonly it: AsyncIterator<Buffer>;
  private pending: Buffer | null = null;
  total = 0;
  ended = false;

  constructor(body: Readable) {
    this.it = body.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]();
  }

  async next(): Promise<Buffer | null> {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      return p;
    }
    if (this.ended) return null;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return null;
    }
    const buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    this.total += buf.length;
    return buf;
  }

  /** At least `n` bytes, or everything up to the end. */
  async atLeast(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < n) {
      const b = await this.next();
      if (!b) break;
      parts.push(b);
      size += b.length;
    }
    return Buffer.concat(parts);
  }

  async stop(): Promise<void> {
    await this.it.return?.();
  }
}

class Refusal extends Error {
  constructor(readonly result: Result<never>) {
    super('refused');
  }
}
const refuse = (code: Parameters<typeof fail>[0], message: string): never => {
  throw new Refusal(fail(code, message));
};

/** Plain text: valid UTF-8 (checked as it streams) without NUL. */
class TextCheck {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  ok = true;
  feed(bytes: Buffer, last: boolean): boolean {
    if (!this.ok) return false;
    if (bytes.includes(0)) this.ok = false;
    else {
      try {
        this.decoder.decode(bytes, { stream: !last });
      } catch {
        this.ok = false;
      }
    }
    return this.ok;
  }
}

export interface UploadInput {
  name: string;
  /** The Content-Type the client declared ('' when none). */
  declaredType: string;
  /** The Content-Length the client declared (null when streamed). */
  declaredLength: number | null;
  body: Readable;
}

export interface OpenedFile {
  attachment: Attachment;
  part: AttachmentPart;
  /** The decrypted bytes, chunk by chunk (read one at a time as the response drains). */
  content: AsyncIterable<Buffer>;
}

export class AttachmentService {
  private readonly images: Semaphore;

  constructor(
    private readonly store: { attachments: AttachmentStore; messages: MessageStore },
    private readonly conversations: { findById(id: string): Promise<ConversationDoc | null> },
    private readonly cipher: MessageCipher,
    private readonly config: Pick<
      Config,
      'attachmentMaxBytes' | 'attachmentTypes' | 'attachmentUnreferencedTtlSec' | 'attachmentImageConcurrency'
    >,
    private readonly uploads: RateLimiter,
  ) {
    this.images = new Semaphore(config.attachmentImageConcurrency);
  }

  /** What clients check before uploading. */
  get limits(): { maxBytes: number; types: string[] } {
    return { maxBytes: this.config.attachmentMaxBytes, types: [...this.config.attachmentTypes] };
  }

  private tooLarge(): never {
    return refuse(
      ErrorCode.tooLarge,
      `The file is over the limit of ${formatBytes(this.config.attachmentMaxBytes)}`,
    );
  }

  /**
   * Stores one uploaded file of a conversation the actor may write in. Nothing is kept when it is refused: 413 past
   * the limit, 415 for a type not allowed or not what the name or the header says. The body may be left unread.
   */
  async upload(actor: Actor, conversationId: string, input: UploadInput): Promise<Result<Attachment>> {
    const conv = await findAccessible(this.conversations, actor, conversationId);
    if (!conv.ok) return conv;
    if (this.config.attachmentTypes.length === 0)
      return fail(ErrorCode.unsupportedType, 'Attachments are turned off on this server');
    if (input.declaredLength !== null && input.declaredLength > this.config.attachmentMaxBytes)
      return fail(
        ErrorCode.tooLarge,
        `The file is over the limit of ${formatBytes(this.config.attachmentMaxBytes)}`,
      );
    const taken = await this.uploads.take(actor.id);
    if (!taken.ok)
      return fail(ErrorCode.rateLimited, 'Too many uploads; wait a moment', {
        retryAfterMs: taken.retryAfterMs,
      });

    const reader = new BodyReader(input.body);
    const name = cleanFileName(input.name);
    let id: string | null = null;
    try {
      const head = await reader.atLeast(HEAD_BYTES);
      if (head.length === 0) refuse(ErrorCode.invalidInput, 'The file is empty');
      if (head.length > this.config.attachmentMaxBytes) this.tooLarge();
      const text = new TextCheck();
      const kind = await this.decideKind(head, name, input.declaredType, text, reader.ended);
      id = newId();
      const sealedName = this.cipher.sealBytes(nameAd(id), Buffer.from(name, 'utf8'));
      await this.store.attachments.create({
        _id: id,
        conversationId,
        uploaderId: actor.id,
        name: toBinary(sealedName.ciphertext),
        nameNonce: toBinary(sealedName.nonce),
        keyId: sealedName.keyId,
        state: 'uploading',
        file: null,
        thumb: null,
        clientMsgId: null,
        sent: false,
        createdAt: new Date(),
      });
      const fileId = id;
      const stored = isRasterImage(ATTACHMENT_KINDS[kind]?.contentType ?? '')
        ? await this.storeImage(fileId, kind, head, reader)
        : await this.storeStream(fileId, kind, head, reader, kind === 'text' ? text : null);
      await this.store.attachments.finish(fileId, stored.file, stored.thumb);
      const attachment: Attachment = {
        id: fileId,
        name,
        size: stored.file.size,
        contentType: stored.file.contentType,
      };
      if (stored.file.width !== undefined) attachment.width = stored.file.width;
      if (stored.file.height !== undefined) attachment.height = stored.file.height;
      log.info(
        { attachmentId: fileId, conversationId, userId: actor.id, size: attachment.size, kind },
        'attachment stored',
      );
      return ok(attachment);
    } catch (err) {
      await reader.stop().catch(() => {});
      if (id) {
        const fileId = id;
        await this.store.attachments
          .remove(fileId)
          .catch((e: Error) =>
            log.warn({ attachmentId: fileId, err: e.message }, 'refused upload not removed'),
          );
      }
      if (err instanceof Refusal) return err.result;
      // The client went away mid-upload (a cancel, a closed tab): nothing to answer, nothing kept, no error.
      if (input.body.destroyed || (err as NodeJS.ErrnoException)?.code === 'ECONNRESET') {
        log.info({ attachmentId: id, conversationId, userId: actor.id }, 'upload abandoned by the client');
        return fail(ErrorCode.invalidInput, 'The upload was interrupted');
      }
      throw err;
    }
  }

  /** The kind (key of ATTACHMENT_KINDS) from the magic bytes, checked against the allow-list, name and header. */
  private async decideKind(
    head: Buffer,
    name: string,
    declaredType: string,
    text: TextCheck,
    whole: boolean,
  ): Promise<string> {
    const detected = await (await loadFileType()).fileTypeFromBuffer(head);
    let kind: string | null = detected ? kindOfMime(detected.mime) : null;
    if (!detected && text.feed(head, whole)) kind = 'text';
    const allowed = this.config.attachmentTypes;
    if (!kind || !allowed.includes(kind)) {
      const what = detected
        ? `${detected.ext.toUpperCase()} files cannot be sent here`
        : 'This file is neither plain text nor a kind of file that can be sent here';
      return refuse(ErrorCode.unsupportedType, `${what} (allowed: ${describeTypes(allowed)})`);
    }
    const ext = extensionOf(name);
    const extensions = ATTACHMENT_KINDS[kind]?.extensions ?? [];
    // A name that says another type: a .png that is a PDF, an .html or .svg that is text.
    const nameFits =
      extensions.includes(ext) ||
      (kind !== 'text' &&
        !Object.entries(ATTACHMENT_KINDS).some(([k, v]) => k !== 'text' && v.extensions.includes(ext)) &&
        !['svg', 'svgz', 'html', 'htm', 'xhtml', 'xml', 'js', 'mjs'].includes(ext));
    if (!nameFits)
      refuse(
        ErrorCode.unsupportedType,
        `The content is ${describeKind(kind)}, not what the name ${name} says`,
      );
    const declared = declaredType.split(';')[0]?.trim().toLowerCase() ?? '';
    if (declared && declared !== 'application/octet-stream') {
      const fits =
        kind === 'text'
          ? declared.startsWith('text/') && !/html|xml/.test(declared)
          : declared === ATTACHMENT_KINDS[kind]?.contentType;
      if (!fits)
        refuse(
          ErrorCode.unsupportedType,
          `The content is ${describeKind(kind)}, not ${declared} as declared`,
        );
    }
    return kind;
  }

  /** Anything but images: sealed and written chunk by chunk as the bytes arrive (memory stays one chunk). */
  private async storeStream(
    id: string,
    kind: string,
    head: Buffer,
    reader: BodyReader,
    text: TextCheck | null,
  ): Promise<{ file: AttachmentPart; thumb: null }> {
    const max = this.config.attachmentMaxBytes;
    let pending: Buffer[] = [head];
    let pendingSize = head.length;
    let size = head.length;
    let n = 0;
    const flush = async (all: boolean) => {
      const buf = Buffer.concat(pending);
      let offset = 0;
      while (buf.length - offset >= CHUNK_BYTES || (all && offset < buf.length)) {
        const piece = buf.subarray(offset, Math.min(buf.length, offset + CHUNK_BYTES));
        await this.putChunk(id, 'f', n++, piece);
        offset += piece.length;
      }
      pending = offset < buf.length ? [buf.subarray(offset)] : [];
      pendingSize = buf.length - offset;
    };
    for (;;) {
      const piece = await reader.next();
      if (!piece) break;
      size += piece.length;
      if (size > max) this.tooLarge();
      if (text && !text.feed(piece, false)) refuse(ErrorCode.unsupportedType, 'The file is not plain text');
      pending.push(piece);
      pendingSize += piece.length;
      if (pendingSize >= CHUNK_BYTES) await flush(false);
    }
    if (text && !text.feed(Buffer.alloc(0), true))
      refuse(ErrorCode.unsupportedType, 'The file is not plain text');
    await flush(true);
    const contentType = ATTACHMENT_KINDS[kind]?.contentType ?? 'application/octet-stream';
    return { file: { size, chunks: n, contentType }, thumb: null };
  }

  /** Images: read whole (bounded by the limit), re-encoded without metadata, with a thumbnail. */
  private async storeImage(
    id: string,
    kind: string,
    head: Buffer,
    reader: BodyReader,
  ): Promise<{ file: AttachmentPart; thumb: AttachmentPart }> {
    const max = this.config.attachmentMaxBytes;
    const parts = [head];
    let size = head.length;
    for (;;) {
      const piece = await reader.next();
      if (!piece) break;
      size += piece.length;
      if (size > max) this.tooLarge();
      parts.push(piece);
    }
    const input = Buffer.concat(parts);
    parts.length = 0;
    const { out, thumb } = await this.images.run(() => reencode(input, kind));
    const contentType = ATTACHMENT_KINDS[kind]?.contentType ?? 'application/octet-stream';
    const height = out.info.pageHeight ?? out.info.height;
    const file = {
      size: out.data.length,
      chunks: await this.putAll(id, 'f', out.data),
      contentType,
      width: out.info.width,
      height,
    };
    const small = {
      size: thumb.data.length,
      chunks: await this.putAll(id, 't', thumb.data),
      contentType: 'image/webp',
      width: thumb.info.width,
      height: thumb.info.height,
    };
    return { file, thumb: small };
  }

  private async putAll(id: string, part: AttachmentPartName, data: Buffer): Promise<number> {
    let n = 0;
    for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
      await this.putChunk(id, part, n++, data.subarray(offset, offset + CHUNK_BYTES));
    }
    return n;
  }

  private async putChunk(id: string, part: AttachmentPartName, n: number, plain: Buffer): Promise<void> {
    const sealed = this.cipher.sealBytes(chunkAd(id, part, n), plain);
    await this.store.attachments.putChunk(id, part, n, {
      data: toBinary(sealed.ciphertext),
      nonce: toBinary(sealed.nonce),
      keyId: sealed.keyId,
    });
  }

  private nameOf(doc: AttachmentDoc): string | null {
    const plain = this.cipher.openBytes(nameAd(doc._id), {
      ciphertext: fromBinary(doc.name),
      nonce: fromBinary(doc.nameNonce),
      keyId: doc.keyId,
    });
    return plain ? plain.toString('utf8') : null;
  }

  private describe(doc: AttachmentDoc): Attachment | null {
    const name = this.nameOf(doc);
    if (name === null || !doc.file) return null;
    const a: Attachment = { id: doc._id, name, size: doc.file.size, contentType: doc.file.contentType };
    if (doc.file.width !== undefined) a.width = doc.file.width;
    if (doc.file.height !== undefined) a.height = doc.file.height;
    return a;
  }

  /**
   * A file (or its thumbnail) for someone who may read its conversation; a file not sent yet only for its uploader.
   * Everything else, unknown ids included, is the same not_found.
   */
  async open(actor: Actor, id: string, thumb: boolean): Promise<Result<OpenedFile>> {
    const missing = fail(ErrorCode.notFound, 'No such attachment');
    const doc = await this.store.attachments.find(id);
    if (doc?.state !== 'ready') return missing;
    if (doc.clientMsgId === null && doc.uploaderId !== actor.id) return missing;
    const conv = await findAccessible(this.conversations, actor, doc.conversationId);
    if (!conv.ok) return missing;
    const attachment = this.describe(doc);
    const part = thumb ? doc.thumb : doc.file;
    if (!attachment || !part) return missing;
    const partName: AttachmentPartName = thumb ? 't' : 'f';
    // The first chunk before answering: a file that does not decrypt fails as a whole, not halfway through.
    const first = part.chunks > 0 ? await this.readChunk(id, partName, 0) : Buffer.alloc(0);
    if (!first) return fail(ErrorCode.internal, 'The file cannot be read');
    const content = this.chunksOf(id, partName, part.chunks, first);
    return ok({ attachment, part, content });
  }

  private async readChunk(id: string, part: AttachmentPartName, n: number): Promise<Buffer | null> {
    const chunk = await this.store.attachments.getChunk(id, part, n);
    const plain =
      chunk &&
      this.cipher.openBytes(chunkAd(id, part, n), {
        ciphertext: fromBinary(chunk.data),
        nonce: fromBinary(chunk.nonce),
        keyId: chunk.keyId,
      });
    if (!plain) {
      log.error({ attachmentId: id, part, chunk: n }, 'attachment chunk missing or does not decrypt');
      errorsTotal.inc({ source: 'crypto', code: 'decrypt_failed' });
    }
    return plain || null;
  }

  private async *chunksOf(
    id: string,
    part: AttachmentPartName,
    count: number,
    first: Buffer,
  ): AsyncGenerator<Buffer> {
    if (count > 0) yield first;
    for (let n = 1; n < count; n++) {
      const plain = await this.readChunk(id, part, n);
      if (!plain) throw new Error('attachment chunk unreadable');
      yield plain;
    }
  }

  /**
   * Takes the files of a send (message:send with attachmentIds) for its clientMsgId, in the order given: each must
   * be a ready upload of this sender in this conversation, free or taken by this same clientMsgId (a retry).
   * One point write per file, in parallel; on a refusal what was taken is given back.
   */
  async claim(
    actor: Actor,
    conversationId: string,
    clientMsgId: string,
    ids: readonly string[],
  ): Promise<Result<Attachment[]>> {
    const notBefore = new Date(
      Date.now() - Math.max(60_000, this.config.attachmentUnreferencedTtlSec * 1000 - CLAIM_MARGIN_MS),
    );
    const owner = { conversationId, uploaderId: actor.id };
    const docs = await Promise.all(
      ids.map((id) => this.store.attachments.claim(id, owner, clientMsgId, notBefore)),
    );
    const described = docs.map((d) => (d ? this.describe(d) : null));
    if (described.some((d) => d === null)) {
      await this.release(
        ids.filter((_, i) => docs[i]),
        clientMsgId,
      );
      return fail(
        ErrorCode.notFound,
        'A file of this message is not available (already sent, expired or not uploaded here); attach it again',
      );
    }
    return ok(described as Attachment[]);
  }

  /** Gives back files a send took but did not store. */
  async release(ids: readonly string[], clientMsgId: string): Promise<void> {
    if (ids.length === 0) return;
    await this.store.attachments
      .unclaim(ids, clientMsgId)
      .catch((err: Error) => log.warn({ err: err.message }, 'attachments not released'));
  }

  /** A stored message holds them: they are kept from now on (after the acknowledgement; the cleanup checks too). */
  markSent(ids: readonly string[]): void {
    this.store.attachments
      .markSent(ids)
      .catch((err: Error) => log.warn({ err: err.message }, 'attachments not marked sent (cleanup checks)'));
  }

  private cleanupTimer: NodeJS.Timeout | null = null;

  /** Runs the cleanup every `everyMs` until stopCleanup(). */
  startCleanup(everyMs = 5 * 60_000): void {
    if (this.cleanupTimer) return;
    this.cleanupTimer = setInterval(() => {
      this.cleanup().catch((err: Error) => log.warn({ err: err.message }, 'attachment cleanup failed'));
    }, everyMs);
    this.cleanupTimer.unref();
  }

  stopCleanup(): void {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = null;
  }

  /** Deletes uploads no stored message holds, older than the TTL. Answers how many were deleted. */
  async cleanup(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.attachmentUnreferencedTtlSec * 1000);
    const docs = await this.store.attachments.unsentBefore(cutoff);
    let removed = 0;
    for (const doc of docs) {
      if (doc.state === 'ready' && doc.clientMsgId) {
        // Taken by a send: kept if that message was stored (a crash came between the insert and markSent).
        const msg = await this.store.messages.findByClientMsgId(doc.conversationId, doc.clientMsgId);
        if (msg?.attachmentIds?.includes(doc._id)) {
          await this.store.attachments.markSent([doc._id]);
          continue;
        }
      }
      await this.store.attachments.remove(doc._id);
      removed++;
    }
    if (removed > 0) log.info({ removed }, 'unsent attachments deleted');
    return removed;
  }
}

interface Encoded {
  data: Buffer;
  info: OutputInfo;
}

/** Decodes (refusing bombs from the header), re-encodes in the same format without metadata, and thumbnails. */
async function reencode(input: Buffer, kind: string): Promise<{ out: Encoded; thumb: Encoded }> {
  const animated = kind === 'gif' || kind === 'webp';
  const { default: sharp } = await loadSharp();
  try {
    const image = sharp(input, { limitInputPixels: MAX_IMAGE_PIXELS, animated, failOn: 'error' });
    const meta = await image.metadata();
    const pixels =
      (meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0) * (animated ? (meta.pages ?? 1) : 1);
    if (!meta.width || !meta.height || pixels > MAX_IMAGE_PIXELS) {
      refuse(ErrorCode.tooLarge, 'The image has too many pixels to be shown');
    }
    // Metadata (EXIF with GPS, XMP, text chunks, ICC) is dropped: sharp keeps none unless asked.
    const oriented = animated ? image : image.rotate();
    const encoded =
      kind === 'png'
        ? oriented.png()
        : kind === 'jpeg'
          ? oriented.jpeg({ quality: 90 })
          : kind === 'gif'
            ? oriented.gif()
            : oriented.webp({ quality: 90 });
    const out = await encoded.toBuffer({ resolveWithObject: true });
    const thumb = await sharp(out.data, { limitInputPixels: MAX_IMAGE_PIXELS })
      .resize(THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    return { out, thumb };
  } catch (err) {
    if (err instanceof Refusal) throw err;
    const message = (err as Error).message ?? '';
    if (/pixel limit/i.test(message)) refuse(ErrorCode.tooLarge, 'The image has too many pixels to be shown');
    return refuse(ErrorCode.unsupportedType, `The file is not a readable ${describeKind(kind)}`);
  }
}

const describeKind = (kind: string): string =>
  kind === 'text' ? 'plain text' : kind === 'jpeg' ? 'a JPEG image' : `a ${kind.toUpperCase()} file`;
