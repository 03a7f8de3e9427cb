import { FormattedMessage, useIntl } from 'react-intl';
import { z } from 'zod';
import { $api, api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { updateMailSettings } from '../../../../src/modules/mail/mail.schemas';
import { updateBookingSettings } from '../../../../src/modules/settings/settings.schemas';
import { refusesFields, TextField, useSchemaForm } from '../../ui/form';
import { ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';
import { Hint } from './fields';
import { MessageTemplates } from './MessageTemplates';

type MailSettings = ResponseOf<'/api/settings/mail', 'get'>;
type SenderValues = { senderName: string; replyTo: string };
type QuietValues = { quietHours: { start: string; end: string } };

/** Both fields are always on the form: one left blank (and so left out) goes back to the default, null. */
const senderSchema = z.preprocess((v) => ({ senderName: null, replyTo: null, ...(v as object) }), updateMailSettings);
/** Quiet hours left blank are none at all. */
const quietSchema = z.preprocess((v) => {
  const q = (v as Partial<QuietValues>).quietHours;
  return { quietHours: q && (q.start?.trim() || q.end?.trim()) ? q : null };
}, updateBookingSettings);

/** How the studio's messages reach members: their wording, the name and reply-to of its mail, and its quiet hours. */
export function MessagesSettings() {
  const mail = $api.useQuery('get', '/api/settings/mail');
  const booking = $api.useQuery('get', '/api/settings/booking');
  return (
    <>
      <MessageTemplates />
      <section aria-labelledby="setup-mail-sender">
        <h2 id="setup-mail-sender"><FormattedMessage id="mail.sender.title" /></h2>
        <QueryView query={mail}>{(m) => <SenderForm key={JSON.stringify(m)} settings={m} />}</QueryView>
      </section>
      <section aria-labelledby="setup-mail-quiet">
        <h2 id="setup-mail-quiet"><FormattedMessage id="mail.quiet.title" /></h2>
        <p className="muted"><FormattedMessage id="mail.quiet.intro" /></p>
        <QueryView query={booking}>{(b) => <QuietHoursForm key={JSON.stringify(b.quietHours)} quietHours={b.quietHours} />}</QueryView>
      </section>
    </>
  );
}

function SenderForm({ settings }: { settings: MailSettings }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const form = useSchemaForm<SenderValues>(senderSchema, { senderName: settings.senderName ?? '', replyTo: settings.replyTo ?? '' }, action.error);
  const submit = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/settings/mail', 'patch'>;
    const done = await action.run(`mail:${JSON.stringify(body)}`, (key) => api.PATCH('/api/settings/mail', { body, headers: { 'idempotency-key': key } }));
    if (done) toast(intl.formatMessage({ id: 'mail.sender.saved' }));
  });
  return (
    <form onSubmit={submit} noValidate aria-label={intl.formatMessage({ id: 'mail.sender.title' })}>
      <TextField form={form} name="senderName" label={intl.formatMessage({ id: 'mail.sender.name' })} placeholder={settings.defaultSenderName} maxLength={100} />
      <Hint><FormattedMessage id="mail.sender.nameHint" values={{ studio: settings.defaultSenderName }} /></Hint>
      <TextField form={form} name="replyTo" type="email" autoComplete="off" label={intl.formatMessage({ id: 'mail.sender.replyTo' })} />
      <Hint><FormattedMessage id="mail.sender.replyToHint" /></Hint>
      <div className="actions">
        <button type="submit" disabled={action.busy}><FormattedMessage id="mail.sender.submit" /></button>
      </div>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </form>
  );
}

function QuietHoursForm({ quietHours }: { quietHours: ResponseOf<'/api/settings/booking', 'get'>['quietHours'] }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const form = useSchemaForm<QuietValues>(quietSchema, { quietHours: { start: quietHours?.start ?? '', end: quietHours?.end ?? '' } }, action.error);
  const submit = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/settings/booking', 'patch'>;
    const done = await action.run(`quiet:${JSON.stringify(body)}`, (key) => api.PATCH('/api/settings/booking', { body, headers: { 'idempotency-key': key } }));
    if (done) toast(intl.formatMessage({ id: 'mail.quiet.saved' }));
  });
  return (
    <form onSubmit={submit} noValidate aria-label={intl.formatMessage({ id: 'mail.quiet.title' })}>
      <TextField form={form} name="quietHours.start" type="time" label={intl.formatMessage({ id: 'mail.quiet.start' })} />
      <TextField form={form} name="quietHours.end" type="time" label={intl.formatMessage({ id: 'mail.quiet.end' })} />
      <Hint><FormattedMessage id="mail.quiet.hint" /></Hint>
      <div className="actions">
        <button type="submit" disabled={action.busy}><FormattedMessage id="mail.quiet.submit" /></button>
      </div>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </form>
  );
}
