import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';
import optimizeLocales from '@react-aria/optimize-locales-plugin';
import { pwa } from './pwa/plugin';

// The web app, built to web/dist and served by the API server on every studio address. Every file is also
// written compressed (brotli and gzip, at their highest levels, once), and the server sends what the browser accepts.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      // React libraries mark their modules "use client" for server components; a browser bundle has no use for it.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  plugins: [
    // React Aria ships its words (a date field's segment names, a calendar's buttons) in 34 languages; keep ours.
    { ...optimizeLocales.vite({ locales: ['ja-JP', 'en-US'] }), enforce: 'pre' },
    // The member app's service worker and offline page (docs/push.md).
    pwa(),
    compression({
      algorithms: [defineAlgorithm('brotliCompress'), defineAlgorithm('gzip', { level: 9 })],
      threshold: 0,
      include: [/\.(js|css|html|json|svg|webmanifest)$/],
    }),
  ],
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
