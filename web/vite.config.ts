import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server serves web/dist at `/` under a strict CSP (no inline scripts or <style>), so nothing may be inlined.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `npm run dev -w web` next to a running server (npm run dev): API and sockets go to it.
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'http://127.0.0.1:3000', ws: true },
    },
  },
});
