import type { Tx } from '../db/databases.js';
import { render, renderTemplate, type Locale, type Text } from '../i18n.js';
import type { Voice } from './outbox.js';

/** A studio's own wording of one kind of message, by language (app.message_templates). */
export type StudioWording = ReadonlyMap<Locale, { subject: string; body: string }>;

/** Read once for all the messages of a kind queued together, not once per recipient. */
export async function studioWording(db: Tx, kind: string): Promise<StudioWording> {
  const rows = await db.selectFrom('app.message_templates').select(['locale', 'subject', 'body']).where('kind', '=', kind).execute();
  return new Map(rows.map((r) => [r.locale, { subject: r.subject, body: r.body }]));
}

/**
 * The words of one message in one voice: the studio's own wording of the kind in that language when it has one,
 * else the catalog's, formatted with the same values. Rendered when the message is queued, for it outlives the
 * request (and the studio may change its wording later).
 */
export function renderMessage(wording: StudioWording, voice: Voice, words: { subject: Text; body: Text }): { subject: string; body: string } {
  const own = wording.get(voice.locale);
  if (own) {
    return {
      subject: renderTemplate(own.subject, words.subject.values, voice.locale, voice.timeZone),
      body: renderTemplate(own.body, words.body.values, voice.locale, voice.timeZone),
    };
  }
  return { subject: render(words.subject, voice.locale, voice.timeZone), body: render(words.body, voice.locale, voice.timeZone) };
}
