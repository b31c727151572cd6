// The server's import direction (docs: STYLE.md): transport (http/, realtime/) -> services/ -> store/, and only
// store/ talks to MongoDB. Import cycles are refused by Biome's noImportCycles (biome.json). Tests are exempt:
// they may inspect raw documents with the driver and reach across layers to set a scene up.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = path.dirname(fileURLToPath(import.meta.url));

/** Every non-test source file of the server, as a path relative to src/ with its import specifiers. */
const sources = readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !/\.test\.ts$/.test(f) && !f.endsWith('test-helpers.ts'))
  .map((file) => {
    const text = readFileSync(path.join(srcDir, file), 'utf8');
    const specifiers = [
      ...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)'([^']+)'/g),
    ].map((m) => m[1] as string);
    const imports = specifiers.map((s) =>
      s.startsWith('.') ? path.relative(srcDir, path.resolve(srcDir, path.dirname(file), s)) : s,
    );
    return { file: file.split(path.sep).join('/'), imports: imports.map((i) => i.split(path.sep).join('/')) };
  });

const layer = (file: string) => file.split('/')[0] ?? '';
const importing = (from: (file: string) => boolean, target: (spec: string) => boolean) =>
  sources
    .filter((s) => from(s.file))
    .flatMap((s) => s.imports.filter(target).map((i) => `${s.file} -> ${i}`));

describe('server layers', () => {
  it('finds the sources it checks', () => {
    expect(sources.map((s) => s.file)).toEqual(expect.arrayContaining(['app.ts', 'store/db.ts']));
  });

  it('lets only store/ import the MongoDB driver', () => {
    expect(
      importing(
        (f) => layer(f) !== 'store',
        (i) => i === 'mongodb' || i.startsWith('mongodb/'),
      ),
    ).toEqual([]);
  });

  it('keeps services/ and store/ free of transports', () => {
    const transport = (i: string) => ['http', 'realtime', 'app'].includes(layer(i));
    expect(importing((f) => ['services', 'store'].includes(layer(f)), transport)).toEqual([]);
  });

  it('keeps store/ free of services', () => {
    expect(
      importing(
        (f) => layer(f) === 'store',
        (i) => layer(i) === 'services',
      ),
    ).toEqual([]);
  });

  it('lets tools outside the server (bench/) import only its testkit', () => {
    const benchDir = path.resolve(srcDir, '..', '..', 'bench', 'src');
    const reaching = readdirSync(benchDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .flatMap((file) =>
        [...readFileSync(path.join(benchDir, file), 'utf8').matchAll(/from\s+'([^']+)'/g)]
          .map((m) => m[1] as string)
          .filter((spec) => /server\/src|^@support-chat\/server(?!\/testkit$)/.test(spec))
          .map((spec) => `${file} -> ${spec}`),
      );
    expect(reaching).toEqual([]);
  });
});
