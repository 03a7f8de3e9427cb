import { FormattedMessage, useIntl } from 'react-intl';
import { useNavigate } from 'react-router';
import type { z } from 'zod';
import { api, useApiAction } from '../api/client';
import type { BodyOf } from '../api/types';
import { createMemberBody } from '../../../src/modules/members/members.schemas';
import { refusesFields, TextField, useSchemaForm } from '../ui/form';
import { ProblemAlert } from '../ui/states';
import { useToast } from '../ui/toast';
import { fullName } from './Members';

/** The server's own schema for a new member: the form checks what it checks, in the user's language. */
const registration = createMemberBody.pick({ familyName: true, givenName: true, familyNameKana: true, givenNameKana: true, phone: true, email: true });
type Registration = Record<keyof z.input<typeof registration>, string>;
const blank: Registration = { familyName: '', givenName: '', familyNameKana: '', givenNameKana: '', phone: '', email: '' };

export default function RegisterMember() {
  const intl = useIntl();
  const navigate = useNavigate();
  const toast = useToast();
  const action = useApiAction();
  const form = useSchemaForm<Registration>(registration, blank, action.error);

  const field = (name: keyof Registration, type = 'text') => (
    <TextField form={form} name={name} label={intl.formatMessage({ id: `members.register.${name}` })} type={type} autoComplete="off" />
  );

  const submit = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/members', 'post'>;
    const member = await action.run(`register:${JSON.stringify(body)}`, (key) => api.POST('/api/members', { body, headers: { 'idempotency-key': key } }));
    if (!member) return;
    toast(intl.formatMessage({ id: 'members.register.done' }, { name: fullName(member), number: member.memberNumber }));
    navigate(`/members/${member.id}`);
  });

  return (
    <>
      <h2><FormattedMessage id="members.register.title" /></h2>
      <form className="inline" onSubmit={submit} noValidate aria-label={intl.formatMessage({ id: 'members.register.title' })}>
        {field('familyName')}
        {field('givenName')}
        {field('familyNameKana')}
        {field('givenNameKana')}
        {field('phone', 'tel')}
        {field('email', 'email')}
        <button type="submit" disabled={action.busy || form.formState.isSubmitting}><FormattedMessage id="members.register.submit" /></button>
      </form>
      {/* A refusal about one field is shown beside it; anything else is said here. */}
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
    </>
  );
}

