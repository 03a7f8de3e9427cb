/** Every English catalog file merged into one map (one chunk, loaded only for an English screen). */
export const messages: Record<string, string> = Object.assign(
  {},
  ...Object.values(import.meta.glob<Record<string, string>>('./en/*.json', { eager: true, import: 'default' })),
);
