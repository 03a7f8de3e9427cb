import { FormattedMessage, useIntl } from 'react-intl';
import { z } from 'zod';
import { $api, api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { updateBookingSettings } from '../../../../src/modules/settings/settings.schemas';
import { refusesFields, useSchemaForm } from '../../ui/form';
import { ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';
import { withNumbers } from './fields';
import { RuleField } from './rules';

type Settings = ResponseOf<'/api/settings/booking', 'get'>;
type Values = Record<Exclude<keyof Settings, 'quietHours'>, string> & { quietHours: { start: string; end: string } };

const groups: Array<[string, Array<keyof Values | 'quietStart' | 'quietEnd'>]> = [
  ['window', ['opensDaysBefore', 'opensAt', 'closesMinutesBefore']],
  ['cancel', ['cancelDeadlineMinutesBefore', 'lateCancelPenalty', 'noShowPenalty', 'penaltyFee']],
  ['strikes', ['strikeLimit', 'strikeWindowDays', 'strikeBlockDays']],
  ['waitlist', ['waitlistAutoUntilHours', 'waitlistOfferMinutes', 'quietStart', 'quietEnd']],
  ['reminders', ['reminderHoursBefore']],
  ['waitingRoom', ['waitingRoomMinutesBefore', 'waitingRoomOrder']],
];
const numbers = ['opensDaysBefore', 'closesMinutesBefore', 'cancelDeadlineMinutesBefore', 'penaltyFee', 'strikeLimit', 'strikeWindowDays', 'strikeBlockDays', 'waitlistAutoUntilHours', 'waitlistOfferMinutes', 'reminderHoursBefore', 'waitingRoomMinutesBefore'];
const path = (rule: string) => (rule === 'quietStart' ? 'quietHours.start' : rule === 'quietEnd' ? 'quietHours.end' : rule) as keyof Values;

/** Settings whose blank is "none": reminders, the waiting room. */
const noneWhenBlank = ['reminderHoursBefore', 'waitingRoomMinutesBefore'] as const;

/**
 * Quiet hours left blank are none at all; so are reminders and the waiting room (a blank field reaches here
 * already left out, and the form always has the field, so its absence is the blank).
 */
const schema = z.preprocess((v) => {
  const values = v as Record<string, unknown> & { quietHours?: { start?: string; end?: string } };
  const q = values.quietHours;
  const out: Record<string, unknown> = q && !q.start?.trim() && !q.end?.trim() ? { ...values, quietHours: null } : { ...values };
  for (const key of noneWhenBlank) if (typeof values[key] !== 'string' || (values[key] as string).trim() === '') out[key] = null;
  return out;
}, withNumbers(updateBookingSettings, numbers));

/** The studio's booking rules, each with what it means for members beside it. */
export function BookingSettings() {
  const settings = $api.useQuery('get', '/api/settings/booking');
  return (
    <section aria-labelledby="setup-booking">
      <h2 id="setup-booking"><FormattedMessage id="setup.booking.title" /></h2>
      <p className="muted"><FormattedMessage id="setup.booking.intro" /></p>
      <QueryView query={settings}>{(s) => <SettingsForm key={JSON.stringify(s)} settings={s} />}</QueryView>
    </section>
  );
}

function SettingsForm({ settings }: { settings: Settings }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const { quietHours, ...rest } = settings;
  const blank = {
    ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v === null ? '' : String(v)])),
    quietHours: { start: quietHours?.start ?? '', end: quietHours?.end ?? '' },
  } as Values;
  const form = useSchemaForm<Values>(schema, blank, action.error);
  const title = intl.formatMessage({ id: 'setup.booking.title' });

  const submit = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/settings/booking', 'patch'>;
    const done = await action.run(`booking:${JSON.stringify(body)}`, (key) => api.PATCH('/api/settings/booking', { body, headers: { 'idempotency-key': key } }));
    if (done) toast(intl.formatMessage({ id: 'setup.booking.saved' }));
  });

  return (
    <form onSubmit={submit} noValidate aria-label={title}>
      {groups.map(([group, rules]) => (
        <fieldset key={group}>
          <legend><FormattedMessage id={`setup.booking.group.${group}`} /></legend>
          {rules.map((rule) => <RuleField key={rule} form={form} name={path(rule)} rule={rule} />)}
        </fieldset>
      ))}
      <div className="actions">
        <button type="submit" disabled={action.busy}><FormattedMessage id="setup.booking.submit" /></button>
      </div>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </form>
  );
}
