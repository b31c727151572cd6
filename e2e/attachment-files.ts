// Files for the attachment tests, made in memory: a real PNG of any size, a PDF, and the browser-side helpers that
// paste and drop files the way a person does (a ClipboardEvent / DragEvent carrying a DataTransfer of Files).
import { deflateSync } from 'node:zlib';
import type { Locator, Page } from '@playwright/test';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf: Buffer) => {
  let c = 0xffffffff;
  for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, body: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, c]);
};

/** An RGB PNG with a diagonal gradient (so thumbnails visibly differ from a flat colour). */
export function makePng(
  width: number,
  height: number,
  tint: [number, number, number] = [40, 110, 200],
): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height);
      row[1 + x * 3] = Math.round(tint[0] * (1 - t) + 250 * t);
      row[2 + x * 3] = Math.round(tint[1] * (1 - t) + 180 * t);
      row[3 + x * 3] = Math.round(tint[2] * (1 - t) + 60 * t);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PDF of about `bytes` bytes (the tail is a comment). */
export const makePdf = (bytes = 3000): Buffer => {
  const head = '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%';
  return Buffer.concat([
    Buffer.from(head),
    Buffer.alloc(Math.max(0, bytes - head.length - 6), 0x78),
    Buffer.from('\n%%EOF'),
  ]);
};

export interface FileSpec {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

const toWire = (files: FileSpec[]) =>
  files.map((f) => ({ name: f.name, type: f.mimeType, b64: f.buffer.toString('base64') }));

/** Pastes files into an element (a screenshot from the clipboard). */
export async function pasteFiles(page: Page, target: Locator, files: FileSpec[]): Promise<void> {
  const handle = await target.elementHandle();
  await page.evaluate(
    ({ el, list }) => {
      const dt = new DataTransfer();
      for (const f of list) {
        const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: f.type }));
      }
      el?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    },
    { el: handle, list: toWire(files) },
  );
}

/** Drags files over an element and drops them. */
export async function dropFiles(page: Page, target: Locator, files: FileSpec[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, toWire(files));
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

/** Slows uploads down (Chromium's network emulation) so that progress and cancel can be seen. */
export async function throttleUploads(page: Page, bytesPerSecond: number | null): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond ?? -1,
  });
}
