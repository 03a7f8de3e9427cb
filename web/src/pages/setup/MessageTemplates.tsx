import { useEffect, useId, useState } from 'react';
import { useFormState, useWatch, type UseFormReturn } from 'react-hook-form';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { saveTemplate } from '../../../../src/modules/mail/mail.schemas';
import { ActionFlow } from '../../ui/action-flow';
import { refusesFields, say, TextField, useSchemaForm } from '../../ui/form';
import { problemText, ProblemAlert, QueryView } from '../../ui/states';
import { languageNames } from '../../ui/language';
import { useToast } from '../../ui/toast';

const LOCALES = ['ja', 'en'] as const;
import { Hint } from './fields';

type Template = ResponseOf<'/api/message-templates', 'get'>['items'][number];
type Values = { kind: string; locale: string; subject: string; body: string };

/** The studio's wording of each kind of message to members, per language, with a live preview and a reset. */
export function MessageTemplates() {
  const intl = useIntl();
  const templates = $api.useQuery('get', '/api/message-templates');
  const [kind, setKind] = useState('waitlist_offer');
  const [locale, setLocale] = useState<'ja' | 'en'>('ja');
  const kindId = useId();
  const localeId = useId();
  return (
    <section aria-labelledby="setup-mail-templates">
      <h2 id="setup-mail-templates"><FormattedMessage id="mail.templates.title" /></h2>
      <p className="muted"><FormattedMessage id="mail.templates.intro" /></p>
      <QueryView query={templates}>
        {({ items }) => {
          const kinds = [...new Set(items.map((t) => t.kind))];
          const chosen = items.find((t) => t.kind === kind && t.locale === locale) ?? items[0]!;
          return (
            <>
              <div>
                <label htmlFor={kindId}><FormattedMessage id="mail.templates.kind" /></label>
                <select id={kindId} value={chosen.kind} onChange={(e) => setKind(e.target.value)}>
                  {kinds.map((k) => {
                    const edited = items.some((t) => t.kind === k && t.own !== null);
                    return <option key={k} value={k}>{intl.formatMessage({ id: `mail.kind.${k}` })}{edited ? ` ${intl.formatMessage({ id: 'mail.templates.editedMark' })}` : ''}</option>;
                  })}
                </select>
              </div>
              <div>
                <label htmlFor={localeId}><FormattedMessage id="mail.templates.language" /></label>
                <select id={localeId} value={chosen.locale} onChange={(e) => setLocale(e.target.value as 'ja' | 'en')}>
                  {LOCALES.map((l) => <option key={l} value={l}>{languageNames[l]}</option>)}
                </select>
              </div>
              <TemplateEditor key={`${chosen.kind}|${chosen.locale}|${chosen.own?.updatedAt ?? ''}`} template={chosen} />
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

function TemplateEditor({ template }: { template: Template }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const words = template.own ?? template.default;
  const form = useSchemaForm<Values>(saveTemplate, { kind: template.kind, locale: template.locale, subject: words.subject, body: words.body }, action.error);
  const submit = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/message-templates', 'put'>;
    const done = await action.run(`template:${JSON.stringify(body)}`, (key) => api.PUT('/api/message-templates', { body, headers: { 'idempotency-key': key } }));
    if (done) toast(intl.formatMessage({ id: 'mail.templates.saved' }));
  });
  const kindName = intl.formatMessage({ id: `mail.kind.${template.kind}` });
  return (
    <>
      <form onSubmit={submit} noValidate aria-label={intl.formatMessage({ id: 'mail.templates.formLabel' }, { kind: kindName })}>
        <p>
          {template.own ? <FormattedMessage id="mail.templates.isOwn" /> : <FormattedMessage id="mail.templates.isDefault" />}
        </p>
        <TextField form={form} name="subject" label={intl.formatMessage({ id: 'mail.templates.subject' })} maxLength={200} />
        <TextArea form={form} label={intl.formatMessage({ id: 'mail.templates.body' })} />
        <Hint>
          <FormattedMessage id="mail.templates.placeholders" values={{ list: template.placeholders.map((p) => `{${p}}`).join(' ') }} />
        </Hint>
        <div className="actions">
          <button type="submit" disabled={action.busy}><FormattedMessage id="mail.templates.submit" /></button>
        </div>
        {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
      </form>
      <Preview form={form} />
      {template.own ? (
        <ActionFlow
          label={intl.formatMessage({ id: 'mail.templates.reset' })}
          method="DELETE"
          path={`/api/message-templates?kind=${template.kind}&locale=${template.locale}`}
          ask={{ text: intl.formatMessage({ id: 'mail.templates.resetAsk' }, { kind: kindName }), confirmLabel: intl.formatMessage({ id: 'mail.templates.resetConfirm' }) }}
          confirmLabel={intl.formatMessage({ id: 'mail.templates.reset' })}
          onDone={() => toast(intl.formatMessage({ id: 'mail.templates.resetDone' }))}
          compact
        />
      ) : null}
    </>
  );
}

/** The body, several lines: a labelled textarea with its error beside it, as the form's other fields. */
function TextArea({ form, label }: { form: UseFormReturn<Values>; label: string }) {
  const intl = useIntl();
  const id = useId();
  const { errors } = useFormState({ control: form.control, name: 'body' });
  const message = errors.body?.message;
  const error = typeof message === 'string' ? say(intl, message) : undefined;
  return (
    <div>
      <label>
        <span>{label}</span>
        <textarea rows={8} maxLength={5000} {...form.register('body')} {...(error ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {})} />
      </label>
      {error && <span id={`${id}-error`} className="field-error">{error}</span>}
    </div>
  );
}

/** What a member would read, with sample values, rendered by the server as it renders the real message. */
function Preview({ form }: { form: UseFormReturn<Values> }) {
  const intl = useIntl();
  const [kind, locale, subject, body] = useWatch({ control: form.control, name: ['kind', 'locale', 'subject', 'body'] });
  const [shown, setShown] = useState<{ subject: string; body: string } | { error: string } | null>(null);
  useEffect(() => {
    // Rendered once typing pauses, not on every keystroke.
    const timer = setTimeout(() => {
      const request = { kind, locale, subject, body } as BodyOf<'/api/message-templates/preview', 'post'>;
      api.POST('/api/message-templates/preview', { body: request }).then(
        ({ data }) => setShown(data ?? null),
        (error: unknown) => setShown({ error: problemText(intl, error) }),
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [kind, locale, subject, body, intl]);
  return (
    <section aria-labelledby="mail-template-preview" className="card" aria-live="polite">
      <h3 id="mail-template-preview"><FormattedMessage id="mail.templates.preview" /></h3>
      {shown === null ? null : 'error' in shown ? (
        <p className="error">{shown.error}</p>
      ) : (
        <>
          <p><strong>{shown.subject}</strong></p>
          <p style={{ whiteSpace: 'pre-wrap' }}>{shown.body}</p>
        </>
      )}
    </section>
  );
}
