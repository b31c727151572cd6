// App, tray and overlay icons drawn in code (no binary assets to keep in sync), encoded as PNG.
import { deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

const crc32 = (bytes: Buffer): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const chunk = (type: string, data: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
};

/** A minimal PNG encoder: 8-bit RGBA, no filtering. */
export const encodePng = (width: number, height: number, rgba: Uint8Array): Buffer => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(6, 9); // colour type RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
};

/** Coverage of a pixel by a shape, with 4x4 supersampling for smooth edges. */
const paint = (pixels: Uint8Array, size: number, colour: Rgba, inside: (x: number, y: number) => boolean) => {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) if (inside(x + (sx + 0.5) / 4, y + (sy + 0.5) / 4)) hits++;
      if (!hits) continue;
      const alpha = (colour[3] / 255) * (hits / 16);
      const i = (y * size + x) * 4;
      const under = pixels[i + 3]! / 255;
      const out = alpha + under * (1 - alpha);
      for (let c = 0; c < 3; c++) {
        pixels[i + c] = Math.round((colour[c]! * alpha + pixels[i + c]! * under * (1 - alpha)) / (out || 1));
      }
      pixels[i + 3] = Math.round(out * 255);
    }
  }
};

const roundedRect = (x0: number, y0: number, x1: number, y1: number, r: number) => (x: number, y: number) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};

const circle = (cx: number, cy: number, r: number) => (x: number, y: number) =>
  (x - cx) ** 2 + (y - cy) ** 2 <= r * r;

const triangle =
  (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) => (x: number, y: number) => {
    const s = (ax - cx) * (y - cy) - (ay - cy) * (x - cx);
    const t = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (s < 0 !== t < 0 && s !== 0 && t !== 0) return false;
    const d = (cx - bx) * (y - by) - (cy - by) * (x - bx);
    return d === 0 || d < 0 === s + t <= 0;
  };

/** The app icon: a white speech bubble with three dots on a blue rounded square. */
export const drawAppIcon = (size: number): Uint8Array => {
  const pixels = new Uint8Array(size * size * 4);
  const u = size / 16;
  paint(pixels, size, [37, 99, 235, 255], roundedRect(0.5 * u, 0.5 * u, 15.5 * u, 15.5 * u, 3.2 * u));
  paint(pixels, size, [255, 255, 255, 255], roundedRect(3 * u, 3.5 * u, 13 * u, 10.5 * u, 2.2 * u));
  paint(pixels, size, [255, 255, 255, 255], triangle(5 * u, 10 * u, 8 * u, 10 * u, 4.5 * u, 13 * u));
  for (const cx of [5.6, 8, 10.4]) paint(pixels, size, [37, 99, 235, 255], circle(cx * u, 7 * u, 0.9 * u));
  return pixels;
};

/** The Windows taskbar overlay: a red dot (the count is in its accessible description). */
export const drawUnreadOverlay = (size: number): Uint8Array => {
  const pixels = new Uint8Array(size * size * 4);
  paint(pixels, size, [220, 38, 38, 255], circle(size / 2, size / 2, size / 2 - 0.5));
  paint(pixels, size, [255, 255, 255, 255], circle(size / 2, size / 2, size / 6));
  return pixels;
};

export const appIconPng = (size: number): Buffer => encodePng(size, size, drawAppIcon(size));
export const unreadOverlayPng = (size = 16): Buffer => encodePng(size, size, drawUnreadOverlay(size));
