import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { catalogs } from '../../i18n/catalog.js';
import { AppError } from '../errors.js';
import { day, LOCALES, text, type Value } from '../i18n.js';
import { EDITABLE_TEMPLATES, type EditableKind } from './editable-kinds.js';

export { EDITABLE_KINDS, EDITABLE_TEMPLATES, isEditableKind, type EditableKind } from './editable-kinds.js';

/** What every placeholder of the editable kinds stands for in a preview. */
export const SAMPLE_VALUES: Record<string, Value> = {
  name: '山田 花子',
  lesson: 'ヨガ 12/7 10:00',
  from: 'ヨガ 12/7 10:00',
  to: 'ヨガ 12/7 11:00',
  reason: text('mail.sample.reason'),
  expiresAt: new Date('2026-12-06T01:30:00Z'),
  until: day('2026-12-20'),
  retryOn: day('2026-12-10'),
  count: 3,
  invoice: 'INV-2026-0042',
  amount: '¥8,800',
};

function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const e of elements) {
    if (e.type === TYPE.literal || e.type === TYPE.pound) continue;
    into.add(e.value);
    if (e.type === TYPE.select || e.type === TYPE.plural) for (const option of Object.values(e.options)) argumentsOf(option.value, into);
    if (e.type === TYPE.tag) argumentsOf(e.children, into);
  }
  return into;
}

/** The placeholders a kind's text may use: those of its catalog messages, in either language. */
export function placeholdersOf(kind: EditableKind): string[] {
  const names = new Set<string>();
  for (const locale of LOCALES) for (const id of Object.values(EDITABLE_TEMPLATES[kind])) argumentsOf(parse(catalogs[locale][id]), names);
  return [...names].sort();
}

/**
 * Refuses a studio's wording that would not render as the catalog's does: bad ICU syntax, or a placeholder the
 * message is never given. The problem names the field, and the placeholder or the syntax error.
 */
export function checkTemplate(kind: EditableKind, fields: { subject: string; body: string }): void {
  const allowed = placeholdersOf(kind);
  for (const field of ['subject', 'body'] as const) {
    let used: Set<string>;
    try {
      used = argumentsOf(parse(fields[field]));
    } catch (error) {
      const e = error as Error & { location?: { start?: { offset?: number } } };
      throw new AppError('bad_request', text('mail.template_syntax', { field, error: e.message, at: (e.location?.start?.offset ?? 0) + 1 }));
    }
    const unknown = [...used].find((name) => !allowed.includes(name));
    if (unknown !== undefined) {
      throw new AppError('bad_request', text('mail.template_placeholder', { field, placeholder: `{${unknown}}`, allowed: allowed.map((a) => `{${a}}`).join(' ') || '-' }));
    }
  }
}
