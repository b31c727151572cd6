import { defineConfig } from 'vite';

// The website widget's loader: one small classic script at a fixed name (`/widget.js`), added to web/dist after the
// page's build; no framework, nothing hashed (the shop's snippet names it).
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: false,
    target: 'es2019',
    minify: true,
    lib: {
      entry: 'src/widget/loader.ts',
      formats: ['iife'],
      name: 'SupportChatLoader',
      fileName: () => 'widget.js',
    },
  },
});
