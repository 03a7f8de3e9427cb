import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCrontab } from 'graphile-worker';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { composition } from '../src/app/composition.js';
import { crontab, taskList } from '../src/platform/jobs/tasks.js';
import { startTestPlatform } from './support/platform.js';

/*
 * The layering: src/platform is the multi-tenant core and knows no business module; the modules plug into it
 * through the interfaces of src/platform/composition.ts, wired once by the composition root (src/app/composition.ts).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const platformDir = path.join(root, 'src/platform');
const modulesDir = path.join(root, 'src/modules');
const relative = (file: string) => path.relative(root, file);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

/** Every module specifier a source names: static imports and re-exports, `import type`, and dynamic `import()`. */
function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

function importsFromModules(file: string): string[] {
  return specifiersOf(readFileSync(file, 'utf8')).filter((spec) => {
    if (!spec.startsWith('.')) return /(^|\/)src\/modules(\/|$)/.test(spec);
    const target = path.resolve(path.dirname(file), spec);
    return target === modulesDir || target.startsWith(modulesDir + path.sep);
  });
}

describe('architecture', () => {
  it('reads every kind of import, so the check below cannot pass by missing one', () => {
    const source = [
      "import { a } from '../modules/a/a.js';",
      "import type { B } from '../modules/b/b.js';",
      "export { c } from '../modules/c/c.js';",
      "const d = await import('../modules/d/d.js');",
    ].join('\n');
    expect(specifiersOf(source)).toEqual(['../modules/a/a.js', '../modules/b/b.js', '../modules/c/c.js', '../modules/d/d.js']);
  });

  it('nothing under src/platform imports from src/modules', () => {
    const offending = sourceFiles(platformDir).flatMap((file) => importsFromModules(file).map((spec) => `${relative(file)} imports ${spec}`));
    expect(offending, 'platform code must reach modules through src/platform/composition.ts').toEqual([]);
  });

  it('every module under src/modules is registered in the composition root, once', () => {
    const folders = readdirSync(modulesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    const registered = composition.modules.map((m) => m.name);
    expect(new Set(registered).size, 'a module listed twice').toBe(registered.length);
    expect([...registered].sort()).toEqual(folders);
  });

  it("every module's route files are registered by its index.ts", () => {
    const forgotten = readdirSync(modulesDir).flatMap((name) => {
      const dir = path.join(modulesDir, name);
      const index = readFileSync(path.join(dir, 'index.ts'), 'utf8');
      const imported = new Set(specifiersOf(index).map((spec) => path.resolve(dir, spec.replace(/\.js$/, '.ts'))));
      return sourceFiles(dir)
        .filter((file) => file.endsWith('.routes.ts') && !imported.has(file))
        .map(relative);
    });
    expect(forgotten, 'route files no module index registers').toEqual([]);
  });

  it("the worker runs every module's tasks, and every crontab line names one of them", async () => {
    const platform = await startTestPlatform();
    try {
      const { runtime } = platform;
      const tasks = Object.keys(taskList(runtime));
      const moduleTasks = composition.modules.flatMap((m) => Object.keys(m.tasks?.(runtime) ?? {}));
      expect(moduleTasks.length).toBeGreaterThan(0);
      expect(tasks).toEqual(expect.arrayContaining(moduleTasks));
      const scheduled = parseCrontab(crontab(runtime)).map((item) => item.task);
      expect(scheduled).toEqual(expect.arrayContaining(['membership_sweep', 'reservations_sweep', 'billing_sweep', 'messages_sweep']));
      expect(scheduled.filter((task) => !tasks.includes(task))).toEqual([]);
    } finally {
      await platform.close();
    }
  });
});
