import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { z } from 'zod';
import { updateLessonBody, updateSeriesBody } from '../../../../src/modules/schedule/lessons.schemas';
import { $api, api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { useFormat } from '../../format';
import { Facts } from '../../ui';
import { ActionFlow } from '../../ui/action-flow';
import { DateField } from '../../ui/date-field';
import { refusesFields, SelectField, TextField, useSchemaForm } from '../../ui/form';
import { ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';

type LessonDetail = ResponseOf<'/api/lessons/{lessonId}', 'get'>;
type Released = ResponseOf<'/api/lessons/{lessonId}/cancel', 'post'>['released'];

/** Form fields hold text; the server's schemas take whole numbers for capacities. */
const numbers = (keys: string[]) => (v: unknown) =>
  v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, keys.includes(k) && typeof x === 'string' && x.trim() !== '' ? Number(x) : x]))
    : v;
const lessonChange = z.preprocess(numbers(['capacity']), updateLessonBody);
const seriesChange = z.preprocess(numbers(['capacity']), updateSeriesBody);

type LessonChange = { date: string; startTime: string; roomId: string; substituteInstructorId: string; capacity: string };

/** What a cancellation releases, as its preview and its toast say it. */
export function releasedText(intl: ReturnType<typeof useIntl>, r: Released) {
  return intl.formatMessage({ id: 'schedule.cancelLesson.affected' }, { lessons: r.lessons, reservations: r.reservations, credits: r.credits, waitlist: r.waitlist, members: r.reservations + r.waitlist });
}

function useChoices() {
  const rooms = $api.useQuery('get', '/api/rooms');
  const instructors = $api.useQuery('get', '/api/instructors');
  return {
    rooms: (rooms.data?.items ?? []).map((r): [string, string] => [r.id, r.name]),
    instructors: (instructors.data?.items ?? []).map((i): [string, string] => [i.id, i.displayName]),
  };
}

/** Exceptions for this lesson alone: another date or time, a substitute, another room, another capacity. */
export function LessonChanges({ lesson }: { lesson: LessonDetail }) {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const action = useApiAction();
  const choices = useChoices();
  const t = (id: string) => intl.formatMessage({ id: `schedule.change.${id}` });
  const current: LessonChange = {
    date: format.dayOf(lesson.startsAt),
    startTime: format.clock(lesson.startsAt),
    roomId: lesson.room.id,
    substituteInstructorId: lesson.substitute?.id ?? '',
    capacity: String(lesson.capacity),
  };
  const form = useSchemaForm<LessonChange>(lessonChange, current, action.error);
  const date = form.watch('date');
  const submit = form.handleSubmit(async () => {
    // Only what was changed is sent: anything sent makes the lesson its own, apart from its series.
    const v = form.getValues();
    const body: BodyOf<'/api/lessons/{lessonId}', 'patch'> = {};
    if (v.date !== current.date) body.date = v.date;
    if (v.startTime !== current.startTime || v.date !== current.date) body.startTime = v.startTime;
    if (v.roomId !== current.roomId) body.roomId = v.roomId;
    if (v.substituteInstructorId !== current.substituteInstructorId) body.substituteInstructorId = v.substituteInstructorId || null;
    if (v.capacity !== current.capacity) body.capacity = Number(v.capacity);
    const done = await action.run(`lesson:${lesson.id}:${JSON.stringify(body)}`, (key) =>
      api.PATCH('/api/lessons/{lessonId}', { params: { path: { lessonId: lesson.id } }, body, headers: { 'idempotency-key': key } }),
    );
    if (done) toast(t('done'));
  });
  return (
    <section aria-labelledby="lesson-change">
      <h2 id="lesson-change">{t('title')}</h2>
      <form className="inline" aria-label={t('title')} onSubmit={(e) => void submit(e)}>
        <DateField label={t('date')} value={date} onChange={(d) => form.setValue('date', d)} isRequired />
        <TextField form={form} name="startTime" label={t('startTime')} type="time" />
        <SelectField form={form} name="substituteInstructorId" label={t('substitute')} options={[['', t('noSubstitute')], ...choices.instructors]} />
        <SelectField form={form} name="roomId" label={t('room')} options={choices.rooms} />
        <TextField form={form} name="capacity" label={t('capacity')} type="number" min={1} inputMode="numeric" />
        <button type="submit" disabled={action.busy}>{t('submit')}</button>
      </form>
      {!refusesFields(action.error, form as never) && <ProblemAlert error={action.error} />}
    </section>
  );
}

/** Cancelling this lesson: the preview says whose bookings and waitlist places go, then it is confirmed. */
export function CancelLesson({ lessonId }: { lessonId: string }) {
  const intl = useIntl();
  const toast = useToast();
  const [reason, setReason] = useState('');
  return (
    <ActionFlow<ResponseOf<'/api/lessons/{lessonId}/cancel', 'post'>>
      title={intl.formatMessage({ id: 'schedule.cancelLesson.title' })}
      method="POST"
      path={`/api/lessons/${lessonId}/cancel`}
      body={{ reason }}
      preview={{ path: `/api/lessons/${lessonId}/cancel/preview`, show: (r) => <p>{releasedText(intl, r.released)}</p> }}
      confirmLabel={intl.formatMessage({ id: 'schedule.cancelLesson.confirm' })}
      onDone={(r) => toast(intl.formatMessage({ id: 'schedule.cancelLesson.done' }, { affected: releasedText(intl, r.released) }))}
    >
      <label>
        <span><FormattedMessage id="schedule.cancelLesson.reason" /></span>
        <input value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={500} />
      </label>
    </ActionFlow>
  );
}

type SeriesChange = { from: string; startTime: string; instructorId: string; roomId: string; capacity: string };

/** The weekly series a lesson belongs to: edited from this lesson's date on, or its rest cancelled. */
export function SeriesPanel({ seriesId, fromDate }: { seriesId: string; fromDate: string }) {
  const intl = useIntl();
  const series = $api.useQuery('get', '/api/lesson-series/{seriesId}', { params: { path: { seriesId } } });
  return (
    <section aria-labelledby="lesson-series">
      <h2 id="lesson-series"><FormattedMessage id="schedule.series.title" /></h2>
      <QueryView query={series} rows={2}>
        {(s) => (
          <>
            <Facts
              rows={[
                [intl.formatMessage({ id: 'schedule.series.weekdays' }), s.weekdays.map((d) => intl.formatMessage({ id: 'schedule.series.weekday' }, { d: String(d) })).join(intl.formatMessage({ id: 'schedule.lesson.separator' }))],
                [intl.formatMessage({ id: 'schedule.series.time' }), s.startTime],
                [intl.formatMessage({ id: 'schedule.series.period' }), `${s.startsOn} – ${s.endsOn}`],
                [intl.formatMessage({ id: 'schedule.series.upcoming' }), s.occurrences.upcoming],
              ]}
            />
            <SeriesChangeForm key={s.startTime + s.roomId + s.capacity + (s.instructorId ?? '')} series={s} fromDate={fromDate} />
            <CancelSeries seriesId={seriesId} fromDate={fromDate} />
          </>
        )}
      </QueryView>
    </section>
  );
}

function SeriesChangeForm({ series: s, fromDate }: { series: ResponseOf<'/api/lesson-series/{seriesId}', 'get'>; fromDate: string }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const choices = useChoices();
  const t = (id: string) => intl.formatMessage({ id: `schedule.series.${id}` });
  const current: SeriesChange = { from: fromDate, startTime: s.startTime, instructorId: s.instructorId ?? '', roomId: s.roomId, capacity: String(s.capacity) };
  const form = useSchemaForm<SeriesChange>(seriesChange, current, action.error);
  const from = form.watch('from');
  const submit = form.handleSubmit(async () => {
    const v = form.getValues();
    const body: BodyOf<'/api/lesson-series/{seriesId}', 'patch'> = { from: v.from };
    if (v.startTime !== current.startTime) body.startTime = v.startTime;
    if (v.instructorId !== current.instructorId) body.instructorId = v.instructorId || null;
    if (v.roomId !== current.roomId) body.roomId = v.roomId;
    if (v.capacity !== current.capacity) body.capacity = Number(v.capacity);
    const done = await action.run(`series:${s.id}:${JSON.stringify(body)}`, (key) =>
      api.PATCH('/api/lesson-series/{seriesId}', { params: { path: { seriesId: s.id } }, body, headers: { 'idempotency-key': key } }),
    );
    if (done) toast(t('done'));
  });
  return (
    <>
      <h3>{t('editTitle')}</h3>
      <form className="inline" aria-label={t('editTitle')} onSubmit={(e) => void submit(e)}>
        <DateField label={t('from')} value={from} onChange={(d) => form.setValue('from', d)} isRequired />
        <TextField form={form} name="startTime" label={t('time')} type="time" />
        <SelectField form={form} name="instructorId" label={t('instructor')} options={[['', t('noInstructor')], ...choices.instructors]} />
        <SelectField form={form} name="roomId" label={t('room')} options={choices.rooms} />
        <TextField form={form} name="capacity" label={t('capacity')} type="number" min={1} inputMode="numeric" />
        <button type="submit" disabled={action.busy}>{t('submit')}</button>
      </form>
      {!refusesFields(action.error, form as never) && <ProblemAlert error={action.error} />}
    </>
  );
}

function CancelSeries({ seriesId, fromDate }: { seriesId: string; fromDate: string }) {
  const intl = useIntl();
  const toast = useToast();
  const [reason, setReason] = useState('');
  const [from, setFrom] = useState(fromDate);
  return (
    <ActionFlow<ResponseOf<'/api/lesson-series/{seriesId}/cancel', 'post'>>
      title={intl.formatMessage({ id: 'schedule.cancelSeries.title' })}
      method="POST"
      path={`/api/lesson-series/${seriesId}/cancel`}
      body={{ reason, from }}
      preview={{ path: `/api/lesson-series/${seriesId}/cancel/preview`, show: (r) => <p>{releasedText(intl, r.released)}</p> }}
      confirmLabel={intl.formatMessage({ id: 'schedule.cancelSeries.confirm' })}
      onDone={(r) => toast(intl.formatMessage({ id: 'schedule.cancelLesson.done' }, { affected: releasedText(intl, r.released) }))}
    >
      <DateField label={intl.formatMessage({ id: 'schedule.cancelSeries.from' })} value={from} onChange={setFrom} isRequired />
      <label>
        <span><FormattedMessage id="schedule.cancelLesson.reason" /></span>
        <input value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={500} />
      </label>
    </ActionFlow>
  );
}

/** A booking's own record, opened from its roster row: how it was made, when, and the credits it used. */
export function BookingDetails({ reservationId }: { reservationId: string }) {
  const intl = useIntl();
  const format = useFormat();
  const [open, setOpen] = useState(false);
  const booking = $api.useQuery('get', '/api/reservations/{reservationId}', { params: { path: { reservationId } } }, { enabled: open });
  const t = (id: string) => intl.formatMessage({ id: `schedule.booking.${id}` });
  return (
    <>
      <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>{t('details')}</button>
      {open && (
        <QueryView query={booking} rows={1}>
          {(r) => (
            <Facts
              rows={[
                [t('source'), t(`source_${r.source}`)],
                [t('bookedAt'), format.dayAndTime(r.createdAt)],
                [t('credits'), r.creditsUsed],
              ]}
            />
          )}
        </QueryView>
      )}
    </>
  );
}
