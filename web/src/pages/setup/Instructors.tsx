import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { createInstructorBody, updateInstructorBody } from '../../../../src/modules/schedule/instructors.schemas';
import { Table } from '../../ui';
import { refusesFields, SelectField, TextField, useSchemaForm } from '../../ui/form';
import { EmptyState, ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';
import { ArchiveButton } from './Archive';

type Instructor = ResponseOf<'/api/instructors', 'get'>['items'][number];
type StaffMember = ResponseOf<'/api/staff', 'get'>['items'][number];
type Values = { displayName: string; bio: string; staffId: string };

/** Who teaches: staff who teach, and guests without an account. */
export function Instructors() {
  const intl = useIntl();
  const instructors = $api.useQuery('get', '/api/instructors');
  const staff = $api.useQuery('get', '/api/staff');
  const [editing, setEditing] = useState<Instructor | null>(null);
  const head = ['setup.instructors.name', 'setup.instructors.account', 'setup.instructors.bio'].map((id) => intl.formatMessage({ id })).concat('');
  return (
    <section aria-labelledby="setup-instructors">
      <h2 id="setup-instructors"><FormattedMessage id="setup.instructors.title" /></h2>
      <p className="muted"><FormattedMessage id="setup.instructors.intro" /></p>
      <QueryView query={staff}>
        {(people) => (
          <QueryView query={instructors}>
            {(data) => (
              <>
                {data.items.length === 0 ? (
                  <EmptyState><FormattedMessage id="setup.instructors.empty" /></EmptyState>
                ) : (
                  <Table head={head}>
                    {data.items.map((i) => (
                      <tr key={i.id}>
                        <td>{i.displayName}</td>
                        <td>{people.items.find((s) => s.id === i.staffId)?.displayName ?? intl.formatMessage({ id: 'setup.instructors.guest' })}</td>
                        <td>{i.bio}</td>
                        <td>
                          <button type="button" className="link" onClick={() => setEditing(i)} aria-label={intl.formatMessage({ id: 'setup.editNamed' }, { name: i.displayName })}>
                            <FormattedMessage id="setup.edit" />
                          </button>
                        </td>
                      </tr>
                    ))}
                  </Table>
                )}
                <InstructorForm key={editing?.id ?? 'new'} instructor={editing} staff={people.items} onDone={() => setEditing(null)} />
              </>
            )}
          </QueryView>
        )}
      </QueryView>
    </section>
  );
}

function InstructorForm({ instructor, staff, onDone }: { instructor: Instructor | null; staff: StaffMember[]; onDone: () => void }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const blank: Values = { displayName: instructor?.displayName ?? '', bio: instructor?.bio ?? '', staffId: instructor?.staffId ?? '' };
  const form = useSchemaForm<Values>(instructor ? updateInstructorBody : createInstructorBody, blank, action.error);
  const title = intl.formatMessage({ id: instructor ? 'setup.instructors.editTitle' : 'setup.instructors.addTitle' }, { name: instructor?.displayName });

  const submit = form.handleSubmit(async (values) => {
    // No account chosen is a guest instructor; on an edit that unlinks the account.
    const body = { ...values, staffId: (values as Partial<Values>).staffId ?? null };
    const done = instructor
      ? await action.run(`instructor:${instructor.id}:${JSON.stringify(body)}`, (key) =>
          api.PATCH('/api/instructors/{instructorId}', { params: { path: { instructorId: instructor.id } }, body: body as BodyOf<'/api/instructors/{instructorId}', 'patch'>, headers: { 'idempotency-key': key } }))
      : await action.run(`instructor:${JSON.stringify(body)}`, (key) => api.POST('/api/instructors', { body: body as BodyOf<'/api/instructors', 'post'>, headers: { 'idempotency-key': key } }));
    if (!done) return;
    toast(intl.formatMessage({ id: 'setup.saved' }, { name: done.displayName }));
    onDone();
  });

  return (
    <>
      <h3>{title}</h3>
      <form className="inline" onSubmit={submit} noValidate aria-label={title}>
        <TextField form={form} name="displayName" label={intl.formatMessage({ id: 'setup.instructors.name' })} autoComplete="off" />
        <SelectField
          form={form}
          name="staffId"
          label={intl.formatMessage({ id: 'setup.instructors.account' })}
          options={[['', intl.formatMessage({ id: 'setup.instructors.guest' })], ...staff.map((s): [string, string] => [s.id, s.displayName])]}
        />
        <TextField form={form} name="bio" label={intl.formatMessage({ id: 'setup.instructors.bio' })} autoComplete="off" />
        <button type="submit" disabled={action.busy}><FormattedMessage id={instructor ? 'setup.save' : 'setup.add'} /></button>
        {instructor && <button type="button" className="secondary" onClick={onDone}><FormattedMessage id="common.cancel" /></button>}
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
      {instructor && <ArchiveButton name={instructor.displayName} path={`/api/instructors/${instructor.id}`} onDone={onDone} />}
    </>
  );
}
