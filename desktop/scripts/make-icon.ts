// Writes desktop/build/icon.png (512x512), the icon electron-builder turns into each platform's format.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appIconPng } from '../src/main/icon';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../build/icon.png');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, appIconPng(512));
console.log(`wrote ${out}`);
