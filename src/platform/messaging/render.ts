import type { Tx } from '../db/databases.js';
import { render, type Text } from '../i18n.js';
import type { Voice } from './outbox.js';

/**
 * The words of one message in one voice: the catalog's wording of its subject and body. Rendered when the message
 * is queued, for it outlives the request (and the studio may change its wording later).
 */
export async function renderMessage(_db: Tx, _kind: string, voice: Voice, words: { subject: Text; body: Text }): Promise<{ subject: string; body: string }> {
  return { subject: render(words.subject, voice.locale, voice.timeZone), body: render(words.body, voice.locale, voice.timeZone) };
}
