import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { api, useApiAction } from '../api/client';
import { useStudio } from '../studio';
import { ProblemAlert } from '../ui/states';
import { useToast } from '../ui/toast';

const names = { ja: '日本語', en: 'English' } as const;
type Locale = keyof typeof names;

/**
 * The language the studio works in: what its members and staff see until they choose their own, and the
 * language of the home-screen app. Owners and managers change it; others see it.
 */
export function StudioLanguage({ canEdit }: { canEdit: boolean }) {
  const intl = useIntl();
  const studio = useStudio();
  const toast = useToast();
  const action = useApiAction();
  const [saved, setSaved] = useState<Locale>(studio.locale);
  const [locale, setLocale] = useState<Locale>(studio.locale);

  async function save(e: FormEvent) {
    e.preventDefault();
    const done = await action.run(`locale:${locale}`, () => api.PUT('/api/tenant/locale', { body: { locale } }));
    if (!done) return;
    setSaved(done.locale);
    toast(intl.formatMessage({ id: 'settings.language.saved' }, { language: names[done.locale] }));
  }

  return (
    <section aria-labelledby="studio-language">
      <h2 id="studio-language"><FormattedMessage id="settings.language.title" /></h2>
      <p className="muted"><FormattedMessage id="settings.language.hint" /></p>
      {canEdit ? (
        <form className="inline" aria-labelledby="studio-language" onSubmit={(e) => void save(e)}>
          <label>
            <FormattedMessage id="settings.language.label" />
            <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
              {(Object.keys(names) as Locale[]).map((l) => <option key={l} value={l} lang={l}>{names[l]}</option>)}
            </select>
          </label>
          <button type="submit" disabled={action.busy || locale === saved}><FormattedMessage id="settings.language.save" /></button>
        </form>
      ) : (
        <p><FormattedMessage id="settings.language.current" values={{ language: names[saved] }} /></p>
      )}
      <ProblemAlert error={action.error} />
    </section>
  );
}
