import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The staff web app, built to web/dist and served by the API server on every studio address.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
