// Bundles the main process and the preload (both CommonJS: sandboxed preloads cannot load ES modules).
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

const external = [
  'electron',
  'electron-updater',
  'keytar',
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
];

const target = process.env.DESKTOP_TARGET === 'preload' ? 'preload' : 'main';

export default defineConfig({
  build: {
    target: 'node20',
    outDir: `dist/${target}`,
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    lib: {
      entry: `src/${target}/${target}.ts`,
      formats: ['cjs'],
      fileName: () => `${target}.cjs`,
    },
    rollupOptions: { external },
  },
});
