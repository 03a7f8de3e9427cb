import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The README stays a front page (what Studiohive is, how to start and test it, a map) and the documentation lives
 * in docs/; these checks keep it that way as pages are added and headings renamed.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const docsDir = path.join(root, 'docs');
const pages = ['README.md', ...readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The lines outside fenced code blocks, where a link or a heading is one. */
function prose(file: string): string[] {
  let fence: string | null = null;
  const lines: string[] = [];
  for (const line of readFileSync(path.join(root, file), 'utf8').split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      continue;
    }
    if (fence === null) lines.push(line);
  }
  return lines;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(file)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const plain = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]{1,2}([^`*_]+)[`*_]{1,2}/g, '$1');
    const slug = plain.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Relative link targets, inline code left out (a path in backticks is text, not a link). */
function linksOf(file: string): string[] {
  const links: string[] = [];
  for (const line of prose(file)) {
    for (const [, target] of line.replace(/`[^`]*`/g, '').matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target!)) links.push(target!);
    }
  }
  return links;
}

describe('the README and docs/', () => {
  it('keeps the README under 25 KB', () => {
    expect(statSync(path.join(root, 'README.md')).size).toBeLessThan(25_000);
  });

  it('keeps the test command CI runs in the README', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/\n## Tests\n\n```sh\nnpm test\n```\n/);
  });

  it('has every relative link point to a file that exists, and to a heading that exists', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const link of linksOf(page)) {
        const [target, anchor] = link.split('#', 2) as [string, string | undefined];
        const file = target === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURI(target)));
        if (!existsSync(path.join(root, file))) {
          broken.push(`${page}: ${link} (no ${file})`);
        } else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(file).has(decodeURIComponent(anchor))) {
          broken.push(`${page}: ${link} (no heading #${anchor} in ${file})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only source files and folders that exist', () => {
    // Built or written by a run, so absent from a fresh checkout.
    const generated = /^(web\/dist|bench\/\.work|\.ci\/report)(\/|$)/;
    const missing: string[] = [];
    for (const page of pages) {
      for (const line of prose(page)) {
        for (const [, span] of line.matchAll(/`([^`]+)`/g)) {
          const named = /^(src|web|test|migrations|bench|scripts|bin|\.ci)\/[\w./-]+$/.test(span!)
            ? [span!]
            : /^(platform|modules|http|db|tenancy|auth|jobs)\/[\w./-]+$/.test(span!)
              ? [`src/${span}`, `src/platform/${span}`] // written from src/ or src/platform/
              : [];
          if (named.length > 0 && !generated.test(named[0]!) && !named.some((p) => existsSync(path.join(root, p)))) {
            missing.push(`${page}: ${span}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('maps every page of docs/ from the README', () => {
    const linked = new Set(linksOf('README.md').map((link) => path.posix.normalize(link.split('#')[0]!)));
    expect(pages.filter((page) => page !== 'README.md' && !linked.has(page))).toEqual([]);
  });
});
