// `npm run build -w server`: the server as one ES module (dist/main.mjs) for `npm start`. Node loads it in about
// half the time tsx needs to compile the TypeScript sources on every start, which is most of a restart's downtime.
// Packages stay in node_modules (native addons); the workspace's own TypeScript (protocol) is bundled. Modules the
// code imports lazily (the Redis adapter, attachments' image libraries) stay lazy: they become chunks of their own.
// dist/ sits beside src/, so paths the code finds from import.meta.url (the repository root, web/dist) still hold.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dependencies = (dir) =>
  Object.keys(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies ?? {});
const external = [...dependencies(serverDir), ...dependencies(path.join(serverDir, '..', 'protocol'))]
  .filter((name) => !name.startsWith('@support-chat/'))
  .flatMap((name) => [name, `${name}/*`]);

await build({
  entryPoints: { main: path.join(serverDir, 'src', 'main.ts') },
  outdir: path.join(serverDir, 'dist'),
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  sourcemap: true,
  logLevel: 'warning',
});
