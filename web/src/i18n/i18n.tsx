import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { IntlProvider } from 'react-intl';

/**
 * The app's languages. Japanese is every studio's default; the studio may choose English, and each person may
 * choose their own, which this browser remembers (a preference, not a secret).
 */
export const locales = ['ja', 'en'] as const;
export type Locale = (typeof locales)[number];
const CHOSEN_KEY = 'studiohive.locale';

const isLocale = (v: unknown): v is Locale => typeof v === 'string' && (locales as readonly string[]).includes(v);

/** The person's own choice, else the studio's language, else Japanese. */
export function resolveLocale(studioLocale?: string | null): Locale {
  const chosen = localStorage.getItem(CHOSEN_KEY);
  if (isLocale(chosen)) return chosen;
  return isLocale(studioLocale) ? studioLocale : 'ja';
}

/*
 * One catalog file per area and language (`ja/members.json`), bundled into one chunk per language and loaded for
 * the language in use only: a Japanese screen never downloads the English catalog, and gets its own in one request.
 */
const catalogs = { ja: () => import('./catalog-ja'), en: () => import('./catalog-en') };

export async function loadMessages(locale: Locale): Promise<Record<string, string>> {
  return (await catalogs[locale]()).messages;
}

/** The person's own choice, known before the studio answers (so its catalog can load meanwhile). */
export const chosenLocale = (): Locale | null => {
  const chosen = localStorage.getItem(CHOSEN_KEY);
  return isLocale(chosen) ? chosen : null;
};

interface LocaleChoice {
  locale: Locale;
  choose(locale: Locale): void;
}
const LocaleContext = createContext<LocaleChoice>({ locale: 'ja', choose: () => undefined });
export const useLocale = () => useContext(LocaleContext);

/** The catalogs of the language in use, `<html lang>` kept in step, and a way to switch language. */
export function I18nProvider({ initial, messages: initialMessages, children }: { initial: Locale; messages: Record<string, string>; children: ReactNode }) {
  const [state, setState] = useState({ locale: initial, messages: initialMessages });
  useEffect(() => {
    document.documentElement.lang = state.locale;
  }, [state.locale]);
  const choice = useMemo<LocaleChoice>(
    () => ({
      locale: state.locale,
      choose(locale) {
        localStorage.setItem(CHOSEN_KEY, locale);
        void loadMessages(locale).then((messages) => setState({ locale, messages }));
      },
    }),
    [state.locale],
  );
  return (
    <LocaleContext.Provider value={choice}>
      <IntlProvider locale={state.locale} messages={state.messages} defaultLocale="ja" onError={reportMissing}>
        {children}
      </IntlProvider>
    </LocaleContext.Provider>
  );
}

/** A missing message is a bug the catalog test catches; in the browser it is logged, never shown as a crash. */
function reportMissing(err: { code: string; message: string }) {
  if (import.meta.env.DEV || err.code !== 'MISSING_TRANSLATION') console.error(err.message);
}
