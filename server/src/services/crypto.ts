// Message text at rest: AES-256-GCM, a fresh 96-bit nonce per message, (conversationId, seq) bound as associated
// data so a ciphertext moved to another conversation or position fails its tag check, key id stored per message.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface MessageKey {
  id: string;
  key: Buffer;
}

/** What is stored instead of the text. `ciphertext` ends with the 16-byte GCM tag. */
export interface SealedText {
  ciphertext: Buffer;
  nonce: Buffer;
  keyId: string;
}

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The associated data: binds a ciphertext to its conversation and its place in it. */
const associatedData = (conversationId: string, seq: number): Buffer =>
  Buffer.from(`${conversationId}:${seq}`, 'utf8');

export class MessageCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly current: MessageKey;

  /** `keys` newest first: the first one encrypts, every one decrypts what it encrypted. */
  constructor(keys: readonly MessageKey[]) {
    const first = keys[0];
    if (!first) throw new Error('at least one message key is needed');
    const map = new Map<string, Buffer>();
    for (const k of keys) {
      if (k.key.length !== 32) throw new Error(`message key "${k.id}" must be 32 bytes`);
      if (map.has(k.id)) throw new Error(`message key id "${k.id}" is used twice`);
      map.set(k.id, k.key);
    }
    this.keys = map;
    this.current = first;
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(conversationId: string, seq: number, text: string): SealedText {
    return this.sealBytes(associatedData(conversationId, seq), Buffer.from(text, 'utf8'));
  }

  /** The text, or null when the key is unknown or the ciphertext does not belong here (tag mismatch). */
  open(conversationId: string, seq: number, sealed: SealedText): string | null {
    return this.openBytes(associatedData(conversationId, seq), sealed)?.toString('utf8') ?? null;
  }

  /**
   * Any bytes bound to `ad` (attachments: "<fileId>:<part>:<chunk>"), with the current key; the same keys and
   * rotation as message text.
   */
  sealBytes(ad: Buffer | string, plain: Buffer): SealedText {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(typeof ad === 'string' ? Buffer.from(ad, 'utf8') : ad);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { ciphertext: Buffer.concat([body, cipher.getAuthTag()]), nonce, keyId: this.current.id };
  }

  /** The bytes, or null when the key is unknown or they were sealed for another `ad` (tag mismatch). */
  openBytes(ad: Buffer | string, sealed: SealedText): Buffer | null {
    const key = this.keys.get(sealed.keyId);
    if (!key || sealed.nonce.length !== NONCE_BYTES || sealed.ciphertext.length < TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv(ALGORITHM, key, sealed.nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(typeof ad === 'string' ? Buffer.from(ad, 'utf8') : ad);
      decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES));
      const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      return null;
    }
  }
}
