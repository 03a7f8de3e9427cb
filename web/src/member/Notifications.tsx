import { useId } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import type { BodyOf, ResponseOf } from '../api/types';
import { languageBody, notificationsBody } from '../../../src/modules/members/notifications.schemas';
import { refusesFields, SelectField, useSchemaForm } from '../ui/form';
import { languageNames } from '../ui/language';
import { PageTitle } from '../ui/page';
import { ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { LineSection } from './LineLink';
import { PushSection } from './PushToggle';

type Settings = ResponseOf<'/api/me/notifications', 'get'>;
type Kind = Settings['kinds'][number];
type Choices = BodyOf<'/api/me/notifications', 'put'>;
type Channel = 'line' | 'push' | 'mail';
const CHANNELS: Channel[] = ['line', 'push', 'mail'];

/**
 * The member's choice of what the studio sends them and how, and in which language. A lazy screen of its own, so the
 * schema forms' zod comes only with it and not with the app's first screen.
 */
export function NotificationsScreen() {
  const intl = useIntl();
  const settings = $api.useQuery('get', '/api/me/notifications');
  const title = intl.formatMessage({ id: 'notifications.title' });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <QueryView query={settings} rows={6}>
        {(s) => (
          <>
            <LanguageForm settings={s} />
            {/* What is linked here decides which channels the choices below can use; writes refetch the settings. */}
            <LineSection />
            <PushSection />
            <KindsForm settings={s} />
          </>
        )}
      </QueryView>
    </section>
  );
}

function LanguageForm({ settings: s }: { settings: Settings }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  // The select's blank is "the studio's": left out of the values, which the schema reads as null.
  const form = useSchemaForm<{ locale: string }>(languageBody, { locale: s.locale ?? '' }, action.error);
  const save = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/me/language', 'put'>;
    if (await action.run(`language:${body.locale ?? ''}`, () => api.PUT('/api/me/language', { body }))) toast(intl.formatMessage({ id: 'notifications.language.saved' }));
  });
  const label = intl.formatMessage({ id: 'notifications.language.label' });
  return (
    <form onSubmit={save} noValidate aria-label={label}>
      <h2><FormattedMessage id="notifications.language.title" /></h2>
      <p className="muted small"><FormattedMessage id="notifications.language.intro" /></p>
      <fieldset className="plain">
        <SelectField
          form={form}
          name="locale"
          label={label}
          options={[
            ['', intl.formatMessage({ id: 'notifications.language.studio' }, { language: languageNames[s.studioLocale] })],
            ['ja', languageNames.ja],
            ['en', languageNames.en],
          ]}
        />
        <button type="submit" className="secondary" disabled={action.busy}><FormattedMessage id="notifications.language.save" /></button>
      </fieldset>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </form>
  );
}

function KindsForm({ settings: s }: { settings: Settings }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const start = Object.fromEntries(s.kinds.map((k) => [k.kind, { enabled: k.enabled, channel: k.channel }])) as Choices;
  const form = useSchemaForm<Choices>(notificationsBody, start as never, action.error);
  const save = form.handleSubmit(async (values) => {
    const body = values as Choices;
    if (await action.run(`notifications:${JSON.stringify(body)}`, () => api.PUT('/api/me/notifications', { body }))) toast(intl.formatMessage({ id: 'notifications.saved' }));
  });
  const optional = s.kinds.filter((k) => k.optional);
  const essential = s.kinds.filter((k) => !k.optional);
  const title = intl.formatMessage({ id: 'notifications.kinds.title' });
  return (
    <form onSubmit={save} noValidate aria-label={title}>
      <h2>{title}</h2>
      <p className="muted small"><FormattedMessage id="notifications.kinds.auto" /></p>
      <h3><FormattedMessage id="notifications.optional.title" /></h3>
      {s.quietHours && <p className="muted small"><FormattedMessage id="notifications.kinds.quietHours" values={s.quietHours} /></p>}
      {optional.map((k) => <KindChoice key={k.kind} kind={k} form={form} reachable={s.reachable} />)}
      <h3><FormattedMessage id="notifications.essential.title" /></h3>
      <p className="muted small"><FormattedMessage id="notifications.essential.intro" /></p>
      {essential.map((k) => <KindChoice key={k.kind} kind={k} form={form} reachable={s.reachable} />)}
      <button type="submit" disabled={action.busy}><FormattedMessage id="notifications.save" /></button>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </form>
  );
}

/** One kind: its switch (optional kinds only) and its channel, a channel that cannot reach the member saying why. */
function KindChoice({ kind: k, form, reachable }: { kind: Kind; form: ReturnType<typeof useSchemaForm<Choices>>; reachable: Settings['reachable'] }) {
  const intl = useIntl();
  const id = useId();
  const name = (field: 'enabled' | 'channel') => `${k.kind}.${field}` as const;
  const channelName = (c: Channel) => intl.formatMessage({ id: `notifications.channel.${c}` });
  return (
    <fieldset className="plain kind-choice" aria-describedby={`${id}-about`}>
      <legend><strong><FormattedMessage id={`notifications.kind.${k.kind}`} /></strong></legend>
      <span id={`${id}-about`} className="muted small"><FormattedMessage id={`notifications.kind.${k.kind}.about`} /></span>
      <div className="inline-fields">
        {k.optional && (
          <label className="check">
            <input type="checkbox" role="switch" {...form.register(name('enabled'))} />
            <span><FormattedMessage id="notifications.send" /></span>
          </label>
        )}
        <label>
          <span><FormattedMessage id="notifications.channel" /></span>
          {/* The blank option is "automatic", which the API calls null. */}
          <select {...form.register(name('channel'), { setValueAs: (v: string | null) => v || null })}>
            <option value=""><FormattedMessage id="notifications.channel.auto" /></option>
            {CHANNELS.map((c) =>
              reachable[c] || k.channel === c ? (
                <option key={c} value={c}>{channelName(c)}</option>
              ) : (
                <option key={c} value={c} disabled>
                  {intl.formatMessage({ id: 'notifications.channel.unavailable' }, { channel: channelName(c), reason: intl.formatMessage({ id: `notifications.unavailable.${c}` }) })}
                </option>
              ),
            )}
          </select>
        </label>
      </div>
    </fieldset>
  );
}
