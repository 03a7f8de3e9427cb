import { useIntl } from 'react-intl';
import { locales, useLocale } from '../i18n/i18n';

/** Each language named in itself (日本語, English), so anyone can find their own. */
export const languageNames = { ja: '日本語', en: 'English' } as const;

export function LanguageSwitch() {
  const intl = useIntl();
  const { locale, choose } = useLocale();
  return (
    <label className="language">
      <span className="visually-hidden">{intl.formatMessage({ id: 'common.language' })}</span>
      <select value={locale} onChange={(e) => choose(e.target.value as (typeof locales)[number])}>
        {locales.map((l) => <option key={l} value={l} lang={l}>{languageNames[l]}</option>)}
      </select>
    </label>
  );
}
