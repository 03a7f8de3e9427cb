import type { Tx } from '../db/databases.js';
import { render, renderTemplate, type Text } from '../i18n.js';
import type { Voice } from './outbox.js';

/**
 * The words of one message in one voice: the studio's own wording of the kind in that language when it has one
 * (app.message_templates), else the catalog's, formatted with the same values. Rendered when the message is
 * queued, for it outlives the request (and the studio may change its wording later).
 */
export async function renderMessage(db: Tx, kind: string, voice: Voice, words: { subject: Text; body: Text }): Promise<{ subject: string; body: string }> {
  const own = await db.selectFrom('app.message_templates').select(['subject', 'body']).where('kind', '=', kind).where('locale', '=', voice.locale).executeTakeFirst();
  if (own) {
    return {
      subject: renderTemplate(own.subject, words.subject.values, voice.locale, voice.timeZone),
      body: renderTemplate(own.body, words.body.values, voice.locale, voice.timeZone),
    };
  }
  return { subject: render(words.subject, voice.locale, voice.timeZone), body: render(words.body, voice.locale, voice.timeZone) };
}
