// Bundles the React renderer into dist/renderer, served by main under app://support-chat/.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    target: 'chrome140',
    // No inline scripts or data: modules, so the strict CSP needs no exceptions.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
