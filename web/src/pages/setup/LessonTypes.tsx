import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../../api/client';
import { useFormat } from '../../format';
import type { BodyOf, ResponseOf } from '../../api/types';
import { createLessonTypeBody, updateLessonTypeBody } from '../../../../src/modules/schedule/catalog.schemas';
import { Table } from '../../ui';
import { refusesFields, TextField, useSchemaForm } from '../../ui/form';
import { EmptyState, ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';
import { ArchiveButton } from './Archive';
import { withNumbers } from './fields';
import { RuleField, ruleKeys, ruleValue, type RuleKey } from './rules';

type LessonType = ResponseOf<'/api/lesson-types', 'get'>['items'][number];
type BookingSettings = ResponseOf<'/api/settings/booking', 'get'>;
type Values = { name: string; durationMinutes: string; colour: string; description: string; bookingRules: Record<RuleKey, string> };

const numbers = ['durationMinutes', ...ruleKeys.map((k) => `bookingRules.${k}`)];

/** What the studio teaches: each type's length, colour and, where it differs from the studio's, its booking rules. */
export function LessonTypes() {
  const intl = useIntl();
  const f = useFormat();
  const types = $api.useQuery('get', '/api/lesson-types');
  const settings = $api.useQuery('get', '/api/settings/booking');
  const [editing, setEditing] = useState<LessonType | null>(null);
  const head = ['setup.types.name', 'setup.types.duration', 'setup.types.ownRules'].map((id) => intl.formatMessage({ id })).concat('');
  return (
    <section aria-labelledby="setup-types">
      <h2 id="setup-types"><FormattedMessage id="setup.types.title" /></h2>
      <p className="muted"><FormattedMessage id="setup.types.intro" /></p>
      <QueryView query={settings}>
        {(studio) => (
          <QueryView query={types}>
            {(data) => (
              <>
                {data.items.length === 0 ? (
                  <EmptyState><FormattedMessage id="setup.types.empty" /></EmptyState>
                ) : (
                  <Table head={head}>
                    {data.items.map((t) => {
                      const own = ruleKeys.filter((k) => t.bookingRules[k] !== null);
                      return (
                        <tr key={t.id}>
                          <td><span><span aria-hidden="true" style={{ color: t.colour }}>● </span>{t.name}</span></td>
                          <td><FormattedMessage id="setup.types.minutes" values={{ minutes: t.durationMinutes }} /></td>
                          <td>
                            {own.length === 0
                              ? intl.formatMessage({ id: 'setup.types.studioRules' })
                              : own.map((k) => `${intl.formatMessage({ id: `setup.rule.${k}` })}: ${ruleValue(intl, f, k, t.bookingRules[k])}`).join(intl.formatMessage({ id: 'ui.listSeparator' }))}
                          </td>
                          <td>
                            <button type="button" className="link" onClick={() => setEditing(t)} aria-label={intl.formatMessage({ id: 'setup.editNamed' }, { name: t.name })}>
                              <FormattedMessage id="setup.edit" />
                            </button>
                          </td>
                        </tr>
                      );
                    })}
                  </Table>
                )}
                <LessonTypeForm key={editing?.id ?? 'new'} type={editing} studio={studio} onDone={() => setEditing(null)} />
              </>
            )}
          </QueryView>
        )}
      </QueryView>
    </section>
  );
}

function LessonTypeForm({ type, studio, onDone }: { type: LessonType | null; studio: BookingSettings; onDone: () => void }) {
  const intl = useIntl();
  const f = useFormat();
  const toast = useToast();
  const action = useApiAction();
  const blank: Values = {
    name: type?.name ?? '',
    durationMinutes: type ? String(type.durationMinutes) : '60',
    colour: type?.colour ?? '#4f46e5',
    description: type?.description ?? '',
    bookingRules: Object.fromEntries(ruleKeys.map((k) => [k, type?.bookingRules[k] == null ? '' : String(type.bookingRules[k])])) as Record<RuleKey, string>,
  };
  // On an edit a blank rule is sent as null: the type follows the studio's rule again.
  const form = useSchemaForm<Values>(withNumbers(type ? updateLessonTypeBody : createLessonTypeBody, numbers, type ? null : undefined), blank, action.error);
  const title = intl.formatMessage({ id: type ? 'setup.types.editTitle' : 'setup.types.addTitle' }, { name: type?.name });

  const submit = form.handleSubmit(async (values) => {
    const done = type
      ? await action.run(`type:${type.id}:${JSON.stringify(values)}`, (key) =>
          api.PATCH('/api/lesson-types/{lessonTypeId}', { params: { path: { lessonTypeId: type.id } }, body: values as unknown as BodyOf<'/api/lesson-types/{lessonTypeId}', 'patch'>, headers: { 'idempotency-key': key } }))
      : await action.run(`type:${JSON.stringify(values)}`, (key) => api.POST('/api/lesson-types', { body: values as unknown as BodyOf<'/api/lesson-types', 'post'>, headers: { 'idempotency-key': key } }));
    if (!done) return;
    toast(intl.formatMessage({ id: 'setup.saved' }, { name: done.name }));
    onDone();
  });

  return (
    <>
      <h3>{title}</h3>
      <form onSubmit={submit} noValidate aria-label={title}>
        <div className="inline-fields">
          <TextField form={form} name="name" label={intl.formatMessage({ id: 'setup.types.name' })} autoComplete="off" />
          <TextField form={form} name="durationMinutes" label={intl.formatMessage({ id: 'setup.types.durationMinutes' })} type="number" inputMode="numeric" min={5} max={600} />
          <TextField form={form} name="colour" label={intl.formatMessage({ id: 'setup.types.colour' })} type="color" />
          <TextField form={form} name="description" label={intl.formatMessage({ id: 'setup.types.description' })} autoComplete="off" />
        </div>
        <details open={type ? ruleKeys.some((k) => type.bookingRules[k] !== null) : false}>
          <summary><FormattedMessage id="setup.types.rulesTitle" /></summary>
          <p className="hint muted"><FormattedMessage id="setup.types.rulesIntro" /></p>
          {ruleKeys.map((k) => (
            <RuleField key={k} form={form} name={`bookingRules.${k}`} rule={k} inherit={ruleValue(intl, f, k, studio[k])} />
          ))}
        </details>
        <div className="actions">
          <button type="submit" disabled={action.busy}><FormattedMessage id={type ? 'setup.save' : 'setup.add'} /></button>
          {type && <button type="button" className="secondary" onClick={onDone}><FormattedMessage id="common.cancel" /></button>}
        </div>
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
      {type && <ArchiveButton name={type.name} path={`/api/lesson-types/${type.id}`} onDone={onDone} />}
    </>
  );
}
