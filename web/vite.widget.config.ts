import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The website widget's frame (web/widget.html, served at /widget/frame): the same React components as the page,
// rendered by Preact through preact/compat so that the frame's first load stays under 100 KiB gzipped (SPEC §10).
// Built into web/dist after the page (hashed assets beside the page's); the loader is vite.loader.config.ts.
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
      { find: /^react-dom$/, replacement: 'preact/compat' },
      { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
      { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
      { find: /^react$/, replacement: 'preact/compat' },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    rollupOptions: { input: { widget: 'widget.html' } },
  },
});
