import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The owner console (web/admin.html, served at /admin under the same strict CSP as the page: nothing inlined).
// Built into web/dist after the page, beside its hashed assets.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    // React, zod (the API's schemas) and Chart.js: an owner's page, loaded once (about 160 KiB gzipped).
    chunkSizeWarningLimit: 600,
    rollupOptions: { input: { admin: 'admin.html' } },
  },
});
