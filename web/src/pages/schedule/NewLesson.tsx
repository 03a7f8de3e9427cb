import { useState, type ReactNode } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useNavigate } from 'react-router';
import { $api, api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { createLessonBody, createSeriesBody } from '../../../../src/modules/schedule/lessons.schemas';
import { addDays, useFormat } from '../../format';
import { refusesFields, SelectField, TextField, useSchemaForm } from '../../ui/form';
import { can, useStaffMe } from '../../staff/StaffApp';
import { PageTitle } from '../../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';
import { FieldError, FormDate, withNumbers } from '../setup/fields';

type Lists = {
  types: ResponseOf<'/api/lesson-types', 'get'>['items'];
  rooms: ResponseOf<'/api/rooms', 'get'>['items'];
  instructors: ResponseOf<'/api/instructors', 'get'>['items'];
};
type Common = { lessonTypeId: string; roomId: string; instructorId: string; startTime: string; durationMinutes: string; capacity: string };
type OneOff = Common & { date: string; notes: string };
type Series = Common & { weekdays: string[]; startsOn: string; endsOn: string };

const oneOffSchema = withNumbers(createLessonBody, ['durationMinutes', 'capacity']);
const seriesSchema = withNumbers(createSeriesBody, ['durationMinutes', 'capacity', 'weekdays']);

/** Plan a one-off lesson or a weekly series (managers and owners). */
export function NewLesson() {
  const intl = useIntl();
  const me = useStaffMe();
  const title = intl.formatMessage({ id: 'lessonForms.title' });
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      {can.manage(me.role) ? <Planner /> : <p className="muted"><FormattedMessage id="lessonForms.managersOnly" /></p>}
    </>
  );
}

function Planner() {
  const types = $api.useQuery('get', '/api/lesson-types');
  const rooms = $api.useQuery('get', '/api/rooms');
  const instructors = $api.useQuery('get', '/api/instructors');
  const [kind, setKind] = useState<'oneOff' | 'series'>('series');
  return (
    <QueryView query={types}>
      {(t) => (
        <QueryView query={rooms}>
          {(r) => (
            <QueryView query={instructors}>
              {(i) =>
                t.items.length === 0 || r.items.length === 0 ? (
                  <EmptyState>
                    <FormattedMessage id="lessonForms.needSetup" values={{ a: (chunks: ReactNode[]) => <Link to="/setup">{chunks}</Link> }} />
                  </EmptyState>
                ) : (
                  <>
                    <fieldset className="inline-fields">
                      <legend><FormattedMessage id="lessonForms.kind" /></legend>
                      {(['series', 'oneOff'] as const).map((k) => (
                        <label key={k} className="check">
                          <input type="radio" name="lesson-kind" checked={kind === k} onChange={() => setKind(k)} />
                          <FormattedMessage id={`lessonForms.kind.${k}`} />
                        </label>
                      ))}
                    </fieldset>
                    {kind === 'oneOff'
                      ? <OneOffForm lists={{ types: t.items, rooms: r.items, instructors: i.items }} />
                      : <SeriesForm lists={{ types: t.items, rooms: r.items, instructors: i.items }} />}
                  </>
                )
              }
            </QueryView>
          )}
        </QueryView>
      )}
    </QueryView>
  );
}

/** The fields a lesson and a series share: what, where, who, when and for how many. */
function CommonFields({ form, lists }: { form: ReturnType<typeof useSchemaForm<Common>>; lists: Lists }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id: `lessonForms.${id}` });
  return (
    <>
      <SelectField form={form} name="lessonTypeId" label={t('lessonType')} options={lists.types.map((x) => [x.id, intl.formatMessage({ id: 'lessonForms.typeOption' }, { name: x.name, minutes: x.durationMinutes })])} />
      <SelectField form={form} name="roomId" label={t('room')} options={lists.rooms.map((x) => [x.id, intl.formatMessage({ id: 'lessonForms.roomOption' }, { name: x.name, capacity: x.capacity })])} />
      <SelectField form={form} name="instructorId" label={t('instructor')} options={[['', t('noInstructor')], ...lists.instructors.map((x): [string, string] => [x.id, x.displayName])]} />
      <TextField form={form} name="startTime" label={t('startTime')} type="time" />
      <TextField form={form} name="durationMinutes" label={t('duration')} type="number" inputMode="numeric" min={5} max={600} />
      <TextField form={form} name="capacity" label={t('capacity')} type="number" inputMode="numeric" min={1} max={1000} />
    </>
  );
}

const common = (lists: Lists): Common => ({ lessonTypeId: lists.types[0]!.id, roomId: lists.rooms[0]!.id, instructorId: lists.instructors[0]?.id ?? '', startTime: '10:00', durationMinutes: '', capacity: '' });

function OneOffForm({ lists }: { lists: Lists }) {
  const intl = useIntl();
  const f = useFormat();
  const toast = useToast();
  const navigate = useNavigate();
  const action = useApiAction();
  const form = useSchemaForm<OneOff>(oneOffSchema, { ...common(lists), date: addDays(f.dayOf(new Date()), 1), notes: '' }, action.error);
  const title = intl.formatMessage({ id: 'lessonForms.kind.oneOff' });

  const submit = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/lessons', 'post'>;
    const lesson = await action.run(`lesson:${JSON.stringify(body)}`, (key) => api.POST('/api/lessons', { body, headers: { 'idempotency-key': key } }));
    if (!lesson) return;
    toast(intl.formatMessage({ id: 'lessonForms.created' }, { name: lesson.lessonType.name, when: f.dayAndTime(lesson.startsAt) }));
    navigate(`/lessons/${lesson.id}`);
  });

  return (
    <form onSubmit={submit} noValidate aria-label={title}>
      <div className="inline-fields">
        <CommonFields form={form as never} lists={lists} />
        <FormDate form={form} name="date" label={intl.formatMessage({ id: 'lessonForms.date' })} />
        <TextField form={form} name="notes" label={intl.formatMessage({ id: 'lessonForms.notes' })} autoComplete="off" />
      </div>
      <div className="actions">
        <button type="submit" disabled={action.busy}><FormattedMessage id="lessonForms.createOneOff" /></button>
      </div>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </form>
  );
}

function SeriesForm({ lists }: { lists: Lists }) {
  const intl = useIntl();
  const f = useFormat();
  const toast = useToast();
  const navigate = useNavigate();
  const action = useApiAction();
  const today = f.dayOf(new Date());
  const form = useSchemaForm<Series>(seriesSchema, { ...common(lists), weekdays: [], startsOn: today, endsOn: addDays(today, 90) }, action.error);
  const title = intl.formatMessage({ id: 'lessonForms.kind.series' });
  // ISO weekdays 1 (Monday) to 7, named in the user's language from a week that began on a Monday.
  const weekday = (d: number) => intl.formatDate(Date.UTC(2024, 0, d), { weekday: 'long', timeZone: 'UTC' });

  const submit = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/lesson-series', 'post'>;
    const series = await action.run(`series:${JSON.stringify(body)}`, (key) => api.POST('/api/lesson-series', { body, headers: { 'idempotency-key': key } }));
    if (!series) return;
    toast(intl.formatMessage({ id: 'lessonForms.seriesCreated' }, { count: series.occurrences.total, from: f.date(series.startsOn), to: f.date(series.endsOn) }));
    navigate('/timetable');
  });

  return (
    <form onSubmit={submit} noValidate aria-label={title}>
      <fieldset>
        <legend><FormattedMessage id="lessonForms.weekdays" /></legend>
        <div className="inline-fields">
          {[1, 2, 3, 4, 5, 6, 7].map((d) => (
            <label key={d} className="check">
              <input type="checkbox" value={String(d)} {...form.register('weekdays')} />
              {weekday(d)}
            </label>
          ))}
        </div>
        <FieldError form={form} name="weekdays" />
      </fieldset>
      <div className="inline-fields">
        <CommonFields form={form as never} lists={lists} />
        <FormDate form={form} name="startsOn" label={intl.formatMessage({ id: 'lessonForms.startsOn' })} />
        <FormDate form={form} name="endsOn" label={intl.formatMessage({ id: 'lessonForms.endsOn' })} />
      </div>
      <p className="hint muted"><FormattedMessage id="lessonForms.seriesNote" /></p>
      <div className="actions">
        <button type="submit" disabled={action.busy}><FormattedMessage id="lessonForms.createSeries" /></button>
      </div>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </form>
  );
}
