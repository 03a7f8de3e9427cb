import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiDocument, type ApiDocument } from '../../scripts/openapi.js';

/**
 * Every staff route in /openapi.json is used by some screen of the web app: a capability the API has for staff
 * but no screen offers is one staff cannot use. The web app writes every API path it calls out in full, as a
 * string or template literal starting with `/api/` (docs/web.md), so the paths it calls can be read from its
 * source. A route counts as used when a file holds its path and names its method ('get' or GET for reads, a
 * download of a document also reads; POST, PUT, PATCH, DELETE for writes).
 */
const webSource = path.resolve('web/src');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

/** `/api/members/{memberId}/status` and `` `/api/members/${id}/status?x=1` `` both become `/api/members/{}/status`. */
const shape = (p: string) => p.split('?')[0]!.replace(/\$\{[^}]*\}/g, '{}').replace(/\{[^}]*\}/g, '{}');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The API paths a file names, and the methods it names. */
export function callsIn(text: string): { paths: Set<string>; methods: Set<Method> } {
  const paths = new Set<string>();
  for (const m of text.matchAll(/(['"`])(\/api\/(?:(?!\1)[^\n])*)\1/g)) paths.add(shape(m[2]!));
  const methods = new Set<Method>();
  for (const method of METHODS) {
    const named = new RegExp(`['"]${method}['"]|\\.${method.toUpperCase()}\\(|method="${method.toUpperCase()}"`, 'i');
    if (named.test(text)) methods.add(method);
  }
  // A document or an export is fetched to be saved (ui.tsx's download), which reads it.
  if (/\bdownload\w*\(|\bdocuments\b|href=/.test(text)) methods.add('get');
  return { paths, methods };
}

/** "METHOD /path" of every route staff (x-access lists roles) or members (x-access 'member') may call. */
function routesFor(doc: ApiDocument, who: 'staff' | 'member'): string[] {
  const routes: string[] = [];
  for (const [p, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const access = op['x-access'];
      if (who === 'staff' ? Array.isArray(access) : access === 'member') routes.push(`${method.toUpperCase()} ${p}`);
    }
  }
  return routes.sort();
}

describe('route coverage of the web app', () => {
  let doc: ApiDocument;
  const used = new Set<string>();
  beforeAll(async () => {
    doc = await apiDocument();
    for (const file of await sourceFiles(webSource)) {
      const { paths, methods } = callsIn(await readFile(file, 'utf8'));
      for (const p of paths) for (const m of methods) used.add(`${m.toUpperCase()} ${p}`);
    }
  });

  it('reads the paths and methods a screen names', () => {
    const { paths, methods } = callsIn("$api.useQuery('get', '/api/members/{memberId}/status', x); <ActionFlow method=\"DELETE\" path={`/api/members/${id}/status/${c.id}?x=${y}`} />");
    expect([...paths].sort()).toEqual(['/api/members/{}/status', '/api/members/{}/status/{}']);
    expect([...methods].sort()).toEqual(['delete', 'get']);
    expect(callsIn('const base = `/api/contracts/${id}`; post(`${base}/leaves`)').paths).toEqual(new Set(['/api/contracts/{}']));
  });

  const unusedOf = (routes: string[]) =>
    routes.filter((r) => {
      const [method, p] = r.split(' ') as [string, string];
      return !used.has(`${method} ${shape(p)}`);
    });

  it('uses every staff route of /openapi.json on some screen', () => {
    const routes = routesFor(doc, 'staff');
    // The document marks who may call each route; without staff routes there would be nothing to check.
    expect(routes.length).toBeGreaterThan(50);
    const unused = unusedOf(routes);
    expect(unused, `staff routes no screen of the web app uses:\n  ${unused.join('\n  ')}`).toEqual([]);
  });

  it('uses every member route of /openapi.json on some screen of the member app', () => {
    const routes = routesFor(doc, 'member');
    expect(routes.length).toBeGreaterThan(30);
    const unused = unusedOf(routes);
    expect(unused, `member routes no screen of the web app uses:\n  ${unused.join('\n  ')}`).toEqual([]);
  });
});
