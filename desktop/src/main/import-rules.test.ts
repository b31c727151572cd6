// Where code runs decides what it may import: the renderer never reaches Electron or Node.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sources = (folder: string) =>
  readdirSync(path.join(src, folder), { recursive: true })
    .map(String)
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => ({ file: `${folder}/${f}`, text: readFileSync(path.join(src, folder, f), 'utf8') }));

const imports = (text: string) =>
  [...text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)].map((m) => ({
    typeOnly: !!m[1],
    from: m[2]!,
  }));

describe('import direction', () => {
  it('the renderer imports no electron, no node: modules and from main nothing at all', () => {
    for (const { file, text } of sources('renderer')) {
      for (const { typeOnly, from } of imports(text)) {
        expect(from, file).not.toMatch(/^(electron|node:|fs$|path$|child_process$)/);
        expect(from, file).not.toMatch(/\/main\//);
        // The preload's API type is the one allowed way to know about the preload.
        if (from.includes('/preload/'))
          expect(typeOnly, `${file} imports the preload for its type only`).toBe(true);
      }
      expect(text, file).not.toContain('dangerouslySetInnerHTML');
    }
  });

  it('the preload exposes verbs, never ipcRenderer itself', () => {
    const text = sources('preload')[0]?.text ?? '';
    expect(text).toContain("contextBridge.exposeInMainWorld('desktop', api)");
    expect(text).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
    expect(text).not.toMatch(/^\s+ipcRenderer[,:]/m);
  });

  it('common code imports neither electron nor node', () => {
    for (const { file, text } of sources('common')) {
      for (const { from } of imports(text)) expect(from, file).not.toMatch(/^(electron|node:)/);
    }
  });
});
