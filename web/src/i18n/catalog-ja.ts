/** Every Japanese catalog file merged into one map (one chunk, loaded only for a Japanese screen). */
export const messages: Record<string, string> = Object.assign(
  {},
  ...Object.values(import.meta.glob<Record<string, string>>('./ja/*.json', { eager: true, import: 'default' })),
);
