import { Controller } from 'react-hook-form';
import { FormattedMessage, useIntl } from 'react-intl';
import { z } from 'zod';
import { api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { memberChanges } from '../../../../src/modules/members/members.schemas';
import { DateField } from '../../ui/date-field';
import { refusesFields, TextField, useSchemaForm } from '../../ui/form';
import { ProblemAlert } from '../../ui/states';
import { useToast } from '../../ui/toast';

type Member = ResponseOf<'/api/members/{memberId}', 'get'>;

/** The server's own checks for a profile change; tags are typed as one line, split at commas or spaces. */
const profile = memberChanges
  .pick({ familyName: true, givenName: true, familyNameKana: true, givenNameKana: true, phone: true, email: true, birthDate: true, staffNotes: true })
  .extend({ tags: z.string().transform((v) => v.split(/[\s,、，]+/).filter((t) => t !== '')).pipe(memberChanges.shape.tags.unwrap()).optional() });

type Profile = { familyName: string; givenName: string; familyNameKana: string; givenNameKana: string; phone: string; email: string; birthDate: string; tags: string; staffNotes: string };

/** Changes a member's profile (a schema form, lazy: it brings zod); `onDone` closes it. */
export default function EditProfile({ member: m, onDone }: { member: Member; onDone: () => void }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const start: Profile = {
    familyName: m.familyName, givenName: m.givenName, familyNameKana: m.familyNameKana, givenNameKana: m.givenNameKana,
    phone: m.phone ?? '', email: m.email ?? '', birthDate: m.birthDate ?? '', tags: m.tags.join(' '), staffNotes: m.staffNotes,
  };
  const form = useSchemaForm<Profile>(profile, start, action.error);
  const t = (id: string) => intl.formatMessage({ id: `members.edit.${id}` });

  const save = form.handleSubmit(async (values) => {
    const out = values as unknown as Partial<BodyOf<'/api/members/{memberId}', 'patch'>>;
    // A blank field is left out of the form's values; where the member had a value, blank means "remove it".
    const body: BodyOf<'/api/members/{memberId}', 'patch'> = {
      ...out,
      ...(m.email && out.email === undefined ? { email: null } : {}),
      ...(m.phone && out.phone === undefined ? { phone: null } : {}),
      ...(m.birthDate && out.birthDate === undefined ? { birthDate: null } : {}),
      ...(out.tags === undefined ? { tags: [] } : {}),
      ...(out.staffNotes === undefined ? { staffNotes: '' } : {}),
      ...(out.familyNameKana === undefined ? { familyNameKana: '' } : {}),
      ...(out.givenNameKana === undefined ? { givenNameKana: '' } : {}),
    };
    const done = await action.run(`profile:${m.id}:${JSON.stringify(body)}`, () =>
      api.PATCH('/api/members/{memberId}', { params: { path: { memberId: m.id } }, body }),
    );
    if (!done) return;
    toast(t('saved'));
    onDone();
  });

  const field = (name: keyof Profile, type = 'text') => <TextField form={form} name={name} label={t(name)} type={type} autoComplete="off" />;
  const birthError = form.formState.errors.birthDate?.message;
  return (
    <>
      <form className="inline" onSubmit={save} noValidate aria-label={t('title')}>
        {field('familyName')}
        {field('givenName')}
        {field('familyNameKana')}
        {field('givenNameKana')}
        {field('phone', 'tel')}
        {field('email', 'email')}
        <div>
          <Controller control={form.control} name="birthDate" render={({ field: f }) => <DateField label={t('birthDate')} value={f.value} onChange={f.onChange} />} />
          {birthError && <span className="field-error" role="alert">{birthError}</span>}
        </div>
        {field('tags')}
        {field('staffNotes')}
        <button type="submit" disabled={action.busy}><FormattedMessage id="members.edit.save" /></button>
        <button type="button" className="secondary" onClick={onDone}><FormattedMessage id="common.cancel" /></button>
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </>
  );
}
