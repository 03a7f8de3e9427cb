import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useId, type InputHTMLAttributes, type ReactNode } from 'react';
import { useForm, useFormState, type DefaultValues, type FieldValues, type Path, type UseFormReturn } from 'react-hook-form';
import { useIntl, type IntlShape } from 'react-intl';
import { z } from 'zod';
import { ApiError } from '../api/client';
import serverEn from '../../../src/i18n/en/validation.json';
import serverJa from '../../../src/i18n/ja/validation.json';
import membersEn from '../../../src/i18n/en/members.json';
import membersJa from '../../../src/i18n/ja/members.json';
import scheduleEn from '../../../src/i18n/en/schedule.json';
import scheduleJa from '../../../src/i18n/ja/schedule.json';
import lineEn from '../../../src/i18n/en/line.json';
import lineJa from '../../../src/i18n/ja/line.json';

/*
 * Forms check what they can before sending, with the very zod schemas the server validates with (imported from
 * src/modules/…/*.schemas.ts), through react-hook-form. What only the server can judge (a taken email, a plan's
 * limit) comes back as a problem whose errors[] land on their fields the same way.
 */

/**
 * The words of the server's catalogs that its schemas name as messages (`members.use_kana`), so a field refused
 * here reads as it would when refused there. Only the areas whose schemas forms use.
 */
const schemaWords: Record<string, Record<string, string>> = { en: { ...serverEn, ...membersEn, ...scheduleEn, ...lineEn }, ja: { ...serverJa, ...membersJa, ...scheduleJa, ...lineJa } };

/** A field's error as shown: a schema's catalog id in the user's language, anything else as it is. */
export const say = (intl: IntlShape, message: string) => (schemaWords[intl.locale] ?? schemaWords.ja!)[message] ?? message;

/** A zod issue the schema gives no words of its own (they win, and are shown by `say`): a plain word for it. */
function issueMessage(intl: IntlShape, issue: z.core.$ZodRawIssue): string {
  const input = issue.input;
  if (input === undefined || input === '') return intl.formatMessage({ id: 'form.required' });
  if (issue.code === 'too_big' && issue.origin === 'string') return intl.formatMessage({ id: 'form.tooLong' }, { max: Number(issue.maximum) });
  if (issue.code === 'invalid_format' && issue.format === 'email') return intl.formatMessage({ id: 'form.email' });
  return intl.formatMessage({ id: 'form.invalid' });
}

/** Form fields hold text; a blank one is no value, so an optional field left empty is left out. */
const withoutBlanks = (values: unknown) =>
  values && typeof values === 'object' ? Object.fromEntries(Object.entries(values).filter(([, v]) => !(typeof v === 'string' && v.trim() === ''))) : values;

/**
 * A form checked by a server schema: errors in the user's language, shown once the form is sent. `refusal` (the write's error) puts the server's field errors onto the fields it names.
 */
export function useSchemaForm<V extends FieldValues>(schema: z.ZodType, defaultValues: DefaultValues<V>, refusal?: unknown): UseFormReturn<V> {
  const intl = useIntl();
  const form = useForm<V>({
    // The values handed to the submit are the schema's output: blanks left out, kana and phone numbers normalised.
    resolver: zodResolver(z.preprocess(withoutBlanks, schema) as never, { error: (issue: z.core.$ZodRawIssue) => issueMessage(intl, issue) } as never) as never,
    defaultValues,
    // Checked when sent, then again as each refused field is corrected. Not when a field is left: an error
    // appearing then moves the submit button from under the pointer that is pressing it.
    mode: 'onSubmit',
    reValidateMode: 'onChange',
  });
  useEffect(() => {
    if (!(refusal instanceof ApiError)) return;
    for (const e of refusal.problem.errors ?? []) {
      const field = e.path.replace(/^(body|query|params)\.?/, '');
      if (field in form.getValues()) form.setError(field as Path<V>, { type: 'server', message: e.message }, { shouldFocus: true });
    }
  }, [refusal, form]);
  return form;
}

/** Whether a refusal is about fields of the form (then it is shown beside them, not again above). */
export const refusesFields = (refusal: unknown, form: UseFormReturn<FieldValues>) =>
  refusal instanceof ApiError && (refusal.problem.errors ?? []).some((e) => e.path.replace(/^(body|query|params)\.?/, '') in form.getValues());

/** A field of a schema form: its label, the control, and its error beside it (aria-invalid, described by it). */
function Field<V extends FieldValues>({ form, name, label, control }: { form: UseFormReturn<V>; name: Path<V>; label: string; control: (aria: { 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode }) {
  const intl = useIntl();
  const id = useId();
  // Subscribed here, so a field re-renders when its own error comes or goes.
  const { errors } = useFormState({ control: form.control, name });
  const message = errors[name]?.message;
  const error = typeof message === 'string' ? say(intl, message) : undefined;
  return (
    <div>
      <label>
        <span>{label}</span>
        {control(error ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {})}
      </label>
      {error && <span id={`${id}-error`} className="field-error">{error}</span>}
    </div>
  );
}

type FieldProps<V extends FieldValues> = { form: UseFormReturn<V>; name: Path<V>; label: string };

/** A labelled text field of a schema form; other input attributes pass through. */
export function TextField<V extends FieldValues>({ form, name, label, ...rest }: FieldProps<V> & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'form'>) {
  return <Field form={form} name={name} label={label} control={(aria) => <input {...rest} {...form.register(name)} {...aria} />} />;
}

/** A labelled drop-down of a schema form: its options as [value, words]. */
export function SelectField<V extends FieldValues>({ form, name, label, options }: FieldProps<V> & { options: Array<[string, string]> }) {
  return (
    <Field form={form} name={name} label={label} control={(aria) => (
      <select {...form.register(name)} {...aria}>
        {options.map(([value, words]) => <option key={value} value={value}>{words}</option>)}
      </select>
    )} />
  );
}
