import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MessageCipher } from './crypto';

const key = (id: string) => ({ id, key: randomBytes(32) });
const conv = 'a'.repeat(24);
const other = 'b'.repeat(24);

describe('MessageCipher', () => {
  it('round-trips text, with the newest key and a fresh 96-bit nonce each time', () => {
    const cipher = new MessageCipher([key('k2'), key('k1')]);
    const a = cipher.seal(conv, 1, 'héllo wörld 👋');
    const b = cipher.seal(conv, 1, 'héllo wörld 👋');
    expect(a.keyId).toBe('k2');
    expect(a.nonce).toHaveLength(12);
    expect(a.nonce.equals(b.nonce)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(a.ciphertext.includes(Buffer.from('wörld'))).toBe(false);
    expect(cipher.open(conv, 1, a)).toBe('héllo wörld 👋');
  });

  it('refuses a ciphertext moved to another conversation or seq', () => {
    const cipher = new MessageCipher([key('k1')]);
    const sealed = cipher.seal(conv, 7, 'secret');
    expect(cipher.open(other, 7, sealed)).toBeNull();
    expect(cipher.open(conv, 8, sealed)).toBeNull();
    expect(cipher.open(conv, 7, sealed)).toBe('secret');
  });

  it('refuses tampered bytes, a wrong nonce and an unknown key id', () => {
    const cipher = new MessageCipher([key('k1')]);
    const sealed = cipher.seal(conv, 1, 'secret');
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(cipher.open(conv, 1, { ...sealed, ciphertext: flipped })).toBeNull();
    expect(cipher.open(conv, 1, { ...sealed, nonce: randomBytes(12) })).toBeNull();
    expect(cipher.open(conv, 1, { ...sealed, keyId: 'nope' })).toBeNull();
    expect(cipher.open(conv, 1, { ...sealed, ciphertext: Buffer.alloc(3) })).toBeNull();
  });

  it('keeps old messages readable after a new key is put in front', () => {
    const k1 = key('k1');
    const before = new MessageCipher([k1]).seal(conv, 1, 'old');
    const rotated = new MessageCipher([key('k2'), k1]);
    expect(rotated.open(conv, 1, before)).toBe('old');
    expect(rotated.seal(conv, 2, 'new').keyId).toBe('k2');
    // A process that only knows the new key cannot read the old message: it answers null, never garbage.
    expect(new MessageCipher([key('k2')]).open(conv, 1, before)).toBeNull();
  });

  it('rejects bad key sets', () => {
    expect(() => new MessageCipher([])).toThrow();
    expect(() => new MessageCipher([{ id: 'x', key: randomBytes(16) }])).toThrow();
    expect(() => new MessageCipher([key('x'), key('x')])).toThrow();
  });
});
