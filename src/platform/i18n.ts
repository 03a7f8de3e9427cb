import { createIntl, createIntlCache, type IntlShape } from '@formatjs/intl';
import accepts from 'accepts';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { catalogs, type MessageId } from '../i18n/catalog.js';

export type { MessageId } from '../i18n/catalog.js';

export const LOCALES = ['ja', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const localeSchema = z.enum(LOCALES);
/** Japanese studios come first: the language of a studio that has not chosen one, and of a request with no studio. */
export const DEFAULT_LOCALE: Locale = 'ja';

export const studioLocale = (tenant: { locale: string }): Locale => asLocale(tenant.locale);

export const asLocale = (value: string | null | undefined): Locale => (LOCALES as readonly string[]).includes(value ?? '') ? (value as Locale) : DEFAULT_LOCALE;

/** A value in a message: words from another message (a Text) are rendered in the same language first. */
export type Value = string | number | Date | Text;
/**
 * Words for a person, not yet in a language: a catalog message and its values. Services and rules return these
 * (in AppError, mails, invoice lines); whoever speaks to the person renders them in that person's language.
 * A calendar date ('2026-12-05') goes in as `day(...)` and is written with the `day` format.
 */
export interface Text {
  id: MessageId;
  values?: Record<string, Value>;
}

export const text = (id: MessageId, values?: Record<string, Value>): Text => (values ? { id, values } : { id });

/** A calendar date as a value for `{name, date, day}`: midnight UTC, written in UTC, so no time zone moves it. */
export const day = (isoDate: string): Date => new Date(`${isoDate.slice(0, 10)}T00:00:00Z`);

const cache = createIntlCache();

const FORMATS = {
  date: {
    day: { year: 'numeric', month: 'long', day: 'numeric', weekday: 'short', timeZone: 'UTC' },
    instant: { month: 'short', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  },
  time: {
    short: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
    // A waiting room's turn comes to the second.
    seconds: { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' },
  },
  number: { yen: { style: 'currency', currency: 'JPY' } },
} as const;
const intls = new Map<string, IntlShape>();

/**
 * The formatter of one language and time zone (instants are written in the studio's zone). Named formats:
 * `{d, date, day}` 2026年12月5日(土) / Sat, December 5, 2026 for a calendar date; `{t, date, instant}` a moment,
 * 12月5日(土) 10:00 / Sat, Dec 5, 10:00; `{t, time, short}` 10:00; `{n, number, yen}` ¥8,800 (currency JPY).
 */
export function intlFor(locale: Locale, timeZone = 'UTC'): IntlShape {
  const key = `${locale}|${timeZone}`;
  let intl = intls.get(key);
  if (!intl) {
    intl = createIntl(
      {
        locale,
        timeZone,
        messages: catalogs[locale],
        // A studio's own wording (renderTemplate) is formatted as a default message: in this language, these formats.
        defaultLocale: locale,
        formats: FORMATS,
        defaultFormats: FORMATS,
        // A missing message or a bad value is a bug the catalogs test and the type of MessageId exist to stop; in
        // production it must not turn a refusal into a 500, so it is logged by whoever renders and the id shown.
        onError: () => undefined,
      },
      cache,
    );
    intls.set(key, intl);
  }
  return intl;
}

export function render(t: Text, locale: Locale, timeZone?: string): string {
  return intlFor(locale, timeZone).formatMessage({ id: t.id }, renderedValues(t.values, locale, timeZone)) as string;
}

/** Values for a message: words from another message (a Text) rendered in the same language first. */
function renderedValues(values: Text['values'], locale: Locale, timeZone?: string) {
  return values && Object.fromEntries(Object.entries(values).map(([k, v]) => [k, isText(v) ? render(v, locale, timeZone) : v]));
}

/**
 * A studio's own wording of a message (ICU MessageFormat, checked when saved) with the catalog message's values,
 * formatted exactly as the catalog's would be: the same language, time zone and named formats.
 */
export function renderTemplate(template: string, values: Text['values'], locale: Locale, timeZone?: string): string {
  return intlFor(locale, timeZone).formatMessage({ id: STUDIO_TEMPLATE, defaultMessage: template }, renderedValues(values, locale, timeZone)) as string;
}
/** An id no catalog has, so formatMessage formats the default message, the studio's wording. */
const STUDIO_TEMPLATE = 'studio.template' as MessageId;

const isText = (v: Value): v is Text => typeof v === 'object' && !(v instanceof Date);

export const isMessageId = (value: string): value is MessageId => Object.hasOwn(catalogs.en, value);

/**
 * The language to answer a request in: what the person's client asks for (the web app sends the language its user
 * chose), else the studio's, else Japanese.
 */
export function requestLocale(raw: IncomingMessage, studioLocale: string | null | undefined): Locale {
  if (raw.headers['accept-language']) {
    const chosen = accepts(raw).language([...LOCALES]);
    if (chosen) return chosen as Locale;
  }
  return studioLocale ? asLocale(studioLocale) : DEFAULT_LOCALE;
}
