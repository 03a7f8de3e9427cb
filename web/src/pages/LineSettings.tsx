import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import type { BodyOf, ResponseOf } from '../api/types';
import { connectBody } from '../../../src/modules/line/line.schemas';
import { useFormat } from '../format';
import { ActionFlow } from '../ui/action-flow';
import { refusesFields, TextField, useSchemaForm } from '../ui/form';
import { ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

type LineChannel = ResponseOf<'/api/settings/line', 'get'>;
type Values = { channelId: string; channelSecret: string; accessToken: string; basicId: string };

/**
 * The studio's LINE Official Account (owners and managers): the webhook URL to paste into the LINE Developers
 * console, the channel's id, secret and token (write-only: never shown again), and disconnecting it.
 */
export function LineSettings() {
  const settings = $api.useQuery('get', '/api/settings/line');
  return (
    <section aria-labelledby="line-settings">
      <h2 id="line-settings"><FormattedMessage id="line.settings.title" /></h2>
      <QueryView query={settings} rows={3}>{(channel) => <LineChannelView key={JSON.stringify(channel)} channel={channel} />}</QueryView>
    </section>
  );
}

function LineChannelView({ channel }: { channel: LineChannel }) {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id: `line.settings.${id}` }, values);
  return (
    <>
      <p role="status">
        {channel.connected ? (
          <FormattedMessage
            id="line.settings.connected"
            values={{ channelId: channel.channelId ?? '', since: format.dayAndTime(channel.connectedAt ?? ''), basicId: channel.basicId ?? '—' }}
          />
        ) : (
          <FormattedMessage id="line.settings.notConnected" />
        )}
      </p>
      <ol className="small">
        <li><FormattedMessage id="line.settings.step1" /></li>
        <li>
          <FormattedMessage id="line.settings.step2" />
          <br />
          <code className="break">{channel.webhookUrl}</code>
        </li>
        <li><FormattedMessage id="line.settings.step3" /></li>
      </ol>
      <ConnectForm connected={channel.connected} />
      {channel.connected && (
        <ActionFlow
          label={t('disconnect')}
          method="DELETE"
          path="/api/settings/line"
          ask={{ text: t('disconnectAsk'), confirmLabel: t('disconnect') }}
          confirmLabel={t('disconnect')}
          onDone={() => toast(t('disconnected'))}
          compact
        />
      )}
    </>
  );
}

function ConnectForm({ connected }: { connected: boolean }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const blank: Values = { channelId: '', channelSecret: '', accessToken: '', basicId: '' };
  const form = useSchemaForm<Values>(connectBody, blank, action.error);
  const t = (id: string) => intl.formatMessage({ id: `line.settings.${id}` });
  const title = t(connected ? 'replace' : 'connect');

  const submit = form.handleSubmit(async (values) => {
    const done = await action.run(`line-connect:${JSON.stringify(values)}`, (key) =>
      api.PUT('/api/settings/line', { body: values as unknown as BodyOf<'/api/settings/line', 'put'>, headers: { 'idempotency-key': key } }),
    );
    if (!done) return;
    // The secret and token are write-only: the fields empty again.
    form.reset(blank);
    toast(t('saved'));
  });

  return (
    <>
      <h3>{title}</h3>
      <form onSubmit={submit} noValidate aria-label={title}>
        <div className="inline-fields">
          <TextField form={form} name="channelId" label={t('channelId')} inputMode="numeric" autoComplete="off" />
          <TextField form={form} name="basicId" label={t('basicId')} placeholder="@abc1234" autoComplete="off" />
        </div>
        <div className="inline-fields">
          <TextField form={form} name="channelSecret" label={t('channelSecret')} type="password" autoComplete="off" />
          <TextField form={form} name="accessToken" label={t('accessToken')} type="password" autoComplete="off" />
        </div>
        <button type="submit" disabled={action.busy}>{t('save')}</button>
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </>
  );
}
