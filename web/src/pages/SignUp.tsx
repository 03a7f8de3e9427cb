import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import type { z } from 'zod';
import { signUpBody } from '../../../src/modules/members/members.schemas';
import { $api, api, useApiAction } from '../api/client';
import type { BodyOf } from '../api/types';
import { useStudio } from '../studio';
import { refusesFields, TextField, useSchemaForm } from '../ui/form';
import { PageTitle } from '../ui/page';
import { ProblemAlert, QueryView } from '../ui/states';
import { ResendConfirmation } from './ResendConfirmation';

/** The server's own sign-up schema checks the form; the terms are agreed to with the box, in the version shown. */
const form = signUpBody.omit({ acceptedTermsVersion: true });
type Fields = Record<keyof z.input<typeof form>, string>;
const blank: Fields = { familyName: '', givenName: '', familyNameKana: '', givenNameKana: '', phone: '', email: '', password: '' };

/**
 * A new member signs up on their phone. Nothing becomes a member until the mailed link is opened: then the
 * account joins the member the desk registered with this email, or becomes a new one.
 */
export function SignUp() {
  const intl = useIntl();
  const studio = useStudio();
  const terms = $api.useQuery('get', '/api/member-auth/terms');
  const action = useApiAction();
  const fields = useSchemaForm<Fields>(form, blank, action.error);
  const [agreed, setAgreed] = useState(false);
  const [mustAgree, setMustAgree] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const title = intl.formatMessage({ id: 'auth.signUp.title' });
  const t = (id: string) => intl.formatMessage({ id: `auth.signUp.${id}` });

  const submit = fields.handleSubmit(async (values) => {
    if (!agreed || !terms.data) return setMustAgree(true);
    const body = { ...values, acceptedTermsVersion: terms.data.version } as unknown as BodyOf<'/api/member-auth/sign-up', 'post'>;
    const done = await action.run(`sign-up:${body.email}`, () => api.POST('/api/member-auth/sign-up', { body }));
    if (done !== null) setSentTo(body.email);
  });

  if (sentTo) {
    return (
      <main className="card narrow">
        <PageTitle title={title}>{t('checkMail')}</PageTitle>
        <p role="status"><FormattedMessage id="auth.signUp.sent" values={{ email: sentTo, studio: studio.displayName }} /></p>
        <p className="muted small"><FormattedMessage id="auth.signUp.sentHelp" /></p>
        <ResendConfirmation email={sentTo} />
        <p><Link to="/member/login"><FormattedMessage id="auth.signUp.toSignIn" /></Link></p>
      </main>
    );
  }
  const field = (name: keyof Fields, type = 'text', autoComplete = 'off') => (
    <TextField form={fields} name={name} label={t(`field.${name}`)} type={type} autoComplete={autoComplete} />
  );
  return (
    <main className="card narrow">
      <PageTitle title={title}>{title}</PageTitle>
      <p className="muted"><FormattedMessage id="auth.signUp.intro" values={{ studio: studio.displayName }} /></p>
      <form onSubmit={submit} noValidate aria-label={title}>
        {field('familyName', 'text', 'family-name')}
        {field('givenName', 'text', 'given-name')}
        {field('familyNameKana')}
        {field('givenNameKana')}
        {field('phone', 'tel', 'tel')}
        {field('email', 'email', 'email')}
        {field('password', 'password', 'new-password')}
        <QueryView query={terms}>
          {(current) => (
            <label className="check">
              <input
                type="checkbox"
                checked={agreed}
                onChange={(e) => { setAgreed(e.target.checked); setMustAgree(false); }}
                aria-invalid={mustAgree || undefined}
                aria-describedby={mustAgree ? 'terms-error' : undefined}
              />
              <span>
                <FormattedMessage
                  id="auth.signUp.agree"
                  values={{
                    studio: studio.displayName,
                    version: current.version,
                    terms: (chunks) => (current.url ? <a href={current.url} target="_blank" rel="noreferrer">{chunks}</a> : <>{chunks}</>),
                  }}
                />
              </span>
            </label>
          )}
        </QueryView>
        {mustAgree && <p id="terms-error" className="error small" role="alert">{t('mustAgree')}</p>}
        {action.error && !refusesFields(action.error, fields as never) ? <ProblemAlert error={action.error} /> : null}
        <button type="submit" disabled={action.busy || fields.formState.isSubmitting}>
          <FormattedMessage id={action.busy ? 'auth.signUp.sending' : 'auth.signUp.submit'} />
        </button>
      </form>
      <p><FormattedMessage id="auth.signUp.haveAccount" /> <Link to="/member/login"><FormattedMessage id="auth.signUp.toSignIn" /></Link></p>
    </main>
  );
}
