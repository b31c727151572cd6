/// <reference types="node" />
// The customer page's first load is '@support-chat/protocol/client' and '/core'; the desktop main process loads
// '/session'. None of them may reach zod or the schemas (121 -> 98 KB gzipped on the page when zod left it).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.dirname(fileURLToPath(import.meta.url));
const exportsMap = JSON.parse(readFileSync(path.join(src, '../package.json'), 'utf8')).exports as Record<
  string,
  string
>;

/** Every module a static import or re-export reaches; `import type` is erased, anything else is loaded. */
function staticGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?'([^']+)'/gms)) {
      const [, typeOnly, from] = m;
      if (typeOnly || !from) continue;
      if (from.startsWith('.')) visit(path.resolve(path.dirname(file), `${from}.ts`));
      else packages.add(from);
    }
  };
  visit(path.resolve(src, '..', entry));
  return { files: [...files].map((f) => path.relative(src, f)).sort(), packages: [...packages].sort() };
}

describe('zod-free entries', () => {
  for (const entry of ['./client', './core', './session']) {
    it(`${entry} loads neither zod nor the schemas`, () => {
      const target = exportsMap[entry];
      expect(target, `package.json exports ${entry}`).toBeTruthy();
      const graph = staticGraph(target!);
      expect(graph.files).not.toContain('schemas.ts');
      expect(graph.packages.filter((p) => p !== 'socket.io-client')).toEqual([]);
    });
  }

  it('sees through re-exports, so it would catch zod coming back', () => {
    const graph = staticGraph(exportsMap['.']!);
    expect(graph.files).toContain('schemas.ts');
    expect(graph.packages).toContain('zod');
  });
});
