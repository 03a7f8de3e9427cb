import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';

/*
 * The message catalogs: the web app's (web/src/i18n/<lang>/<area>.json) and the server's (src/i18n/<lang>/<area>.json:
 * problems, mails, invoice lines, documents). Both languages must say everything, with the same placeholders, and
 * every id the code names must be in them; a Japanese screen or mail with an English string (or the reverse)
 * starts as a key missing here.
 */
const languages = ['ja', 'en'] as const;
type Language = (typeof languages)[number];

function readCatalogs(root: string) {
  return Object.fromEntries(
    languages.map((lang) => [
      lang,
      Object.fromEntries(
        readdirSync(path.join(root, lang))
          .filter((f) => f.endsWith('.json'))
          .map((f) => [f, JSON.parse(readFileSync(path.join(root, lang, f), 'utf8')) as Record<string, string>]),
      ),
    ]),
  ) as Record<Language, Record<string, Record<string, string>>>;
}

/** The names of a message's arguments ({name}, {count, plural, …}), nested ones included. */
function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const e of elements) {
    if (e.type === TYPE.argument || e.type === TYPE.number || e.type === TYPE.date || e.type === TYPE.time) into.add(e.value);
    if (e.type === TYPE.plural || e.type === TYPE.select) {
      into.add(e.value);
      for (const option of Object.values(e.options)) argumentsOf(option.value, into);
    }
    if (e.type === TYPE.tag) argumentsOf(e.children, into);
  }
  return into;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(path.join(dir, d.name)) : /\.tsx?$/.test(d.name) && !d.name.endsWith('.d.ts') && !d.name.endsWith('.test.ts') ? [path.join(dir, d.name)] : [],
  );
}

const sets = [
  {
    name: 'web app',
    root: path.resolve('web/src/i18n'),
    code: path.resolve('web/src'),
    // id="x.y", id: 'x.y', { id: `x.${v}` } (a family of ids: some id must start with its fixed part)
    named: /\bid(?:=|:\s*)\{?\s*(['"`])([a-zA-Z][\w.-]*)(\$\{)?/g,
    only: /\.tsx?$/,
  },
  {
    name: 'server',
    root: path.resolve('src/i18n'),
    code: path.resolve('src'),
    only: /\.schemas\.ts$/,
    // Zod refinements name an id as their message ('x.y'), a plain string to TypeScript; elsewhere the server names
    // ids through text() and notFound(), whose MessageId type already checks them.
    named: /(['"`])((?:problems|validation|platform|reservations|checkin|schedule|members|contracts|billing|mail|documents)\.[\w.-]*[\w-])(\$\{)?\1?/g,
  },
];

describe.each(sets)('$name message catalogs', ({ root, code, named, only }) => {
  const catalogs = readCatalogs(root);
  const merged = (lang: Language) => Object.assign({}, ...Object.values(catalogs[lang])) as Record<string, string>;

  it('has the same files and the same ids in Japanese and English', () => {
    expect(Object.keys(catalogs.en).sort()).toEqual(Object.keys(catalogs.ja).sort());
    for (const file of Object.keys(catalogs.ja)) {
      const ja = Object.keys(catalogs.ja[file]!).sort();
      const en = Object.keys(catalogs.en[file] ?? {}).sort();
      expect({ file, missingInEnglish: ja.filter((k) => !en.includes(k)), missingInJapanese: en.filter((k) => !ja.includes(k)) })
        .toEqual({ file, missingInEnglish: [], missingInJapanese: [] });
    }
  });

  it('names no id twice across files', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [file, messages] of Object.entries(catalogs.ja)) {
      for (const id of Object.keys(messages)) {
        if (seen.has(id)) twice.push(`${id} (${seen.get(id)} and ${file})`);
        seen.set(id, file);
      }
    }
    expect(twice).toEqual([]);
  });

  it('parses every message as ICU, with the same placeholders in both languages', () => {
    const ja = merged('ja');
    const en = merged('en');
    const differ: string[] = [];
    for (const id of Object.keys(ja)) {
      const a = [...argumentsOf(parse(ja[id]!))].sort();
      const b = [...argumentsOf(parse(en[id] ?? ''))].sort();
      if (a.join() !== b.join()) differ.push(`${id}: ja {${a}} en {${b}}`);
    }
    expect(differ).toEqual([]);
  });

  it('writes no Japanese in the English catalog and no empty message', () => {
    const japanese = /[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]/;
    expect(Object.entries(merged('en')).filter(([, m]) => japanese.test(m)).map(([id]) => id)).toEqual([]);
    for (const lang of languages) expect(Object.entries(merged(lang)).filter(([, m]) => m.trim() === '').map(([id]) => id)).toEqual([]);
  });

  it('has every id the code names, in both languages', () => {
    const ids = new Set(Object.keys(merged('ja')));
    const en = new Set(Object.keys(merged('en')));
    const missing: string[] = [];
    for (const file of sourceFiles(code).filter((f) => only.test(f))) {
      for (const m of readFileSync(file, 'utf8').matchAll(named)) {
        const [, , id, dynamic] = m;
        if (!id!.includes('.')) continue;
        const known = dynamic ? [...ids].some((k) => k.startsWith(id!)) : ids.has(id!) && en.has(id!);
        if (!known) missing.push(`${path.relative(code, file)}: ${id}${dynamic ? '…' : ''}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
