import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

const read = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');
const words = (lang: 'ja' | 'en') => JSON.parse(read(`../src/i18n/${lang}/push.json`)) as Record<string, string>;
const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The offline page in both languages (Japanese first), from the app's catalogs; no script, so no CSP exception. */
function offlinePage(styles: string[]): string {
  const [ja, en] = [words('ja'), words('en')];
  const part = (w: Record<string, string>, heading: 'h1' | 'h2') =>
    `<${heading}>${escape(w['push.offline.title']!)}</${heading}>\n<p>${escape(w['push.offline.body']!)}</p>\n<p><a href="/member">${escape(w['push.offline.retry']!)}</a></p>`;
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#2f6f5e">
<title>${escape(ja['push.offline.title']!)} / ${escape(en['push.offline.title']!)}</title>
${styles.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
<link rel="icon" href="/icons/icon.svg" type="image/svg+xml">
</head>
<body>
<main class="card narrow" id="main">
${part(ja, 'h1')}
<section lang="en">
${part(en, 'h2')}
</section>
</main>
</body>
</html>
`;
}

/**
 * Writes the member app's service worker (web/pwa/sw.js) and its offline page into the build: the worker learns
 * this build's app shell (the entry script, the chunks it imports and the styles) and a version that changes with
 * any file, so a deploy installs a new worker, which drops the old build's cache.
 */
export function pwa(): Plugin {
  return {
    name: 'studiohive-pwa',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.values(bundle);
      const entry = files.find((f) => f.type === 'chunk' && f.isEntry);
      if (entry?.type !== 'chunk') return;
      const styles = [...(entry.viteMetadata?.importedCss ?? [])].map((f) => `/${f}`);
      const scripts = [entry.fileName, ...entry.imports].map((f) => `/${f}`);
      const shell = [...scripts, ...styles, '/icons/icon-192.png'];
      const version = createHash('sha256').update(files.map((f) => f.fileName).sort().join('\n')).digest('hex').slice(0, 16);
      this.emitFile({ type: 'asset', fileName: 'offline.html', source: offlinePage(styles) });
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: read('./sw.js').replace('__VERSION__', version).replace('__SHELL__', JSON.stringify(shell)) });
    },
  };
}
