import type { ReactNode } from 'react';
import { Controller, useFormState, type FieldValues, type Path, type UseFormReturn } from 'react-hook-form';
import { useIntl } from 'react-intl';
import { z } from 'zod';
import { DateField } from '../../ui/date-field';
import { say } from '../../ui/form';

/**
 * Form fields hold text, the server's schemas want integers. The named fields (dot paths, `bookingRules.penaltyFee`)
 * become numbers when they are whole numbers, so the schema judges the number; anything else stays as typed and
 * is refused as it would be by the server. A blank one (nested ones too, which the form's own blank rule does not
 * reach) is left out, or sent as `blank`: null clears a lesson type's override on an edit. A list (the ticked
 * weekdays) has its numbers converted too.
 */
export function withNumbers(schema: z.ZodType, fields: string[], blank: null | undefined = undefined): z.ZodType {
  return z.preprocess((input) => {
    if (!input || typeof input !== 'object') return input;
    const out = structuredClone(input) as Record<string, unknown>;
    for (const field of fields) {
      const keys = field.split('.');
      const last = keys.pop()!;
      let at: Record<string, unknown> | undefined = out;
      for (const k of keys) at = at?.[k] && typeof at[k] === 'object' ? (at[k] as Record<string, unknown>) : undefined;
      if (at && Array.isArray(at[last])) at[last] = (at[last] as unknown[]).map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));
      if (!at || typeof at[last] !== 'string') continue;
      const typed = (at[last] as string).trim();
      if (typed === '') {
        if (blank === null) at[last] = null;
        else delete at[last];
      } else if (/^\d+$/.test(typed)) at[last] = Number(typed);
    }
    return out;
  }, schema);
}

/** Plain words beside a field: what it does for the studio and its members. */
export function Hint({ children }: { children: ReactNode }) {
  return <p className="hint muted">{children}</p>;
}

/** A refused value that has no field of its own (a seat map, a set of weekdays), in the user's language. */
export function FieldError<V extends FieldValues>({ form, name }: { form: UseFormReturn<V>; name: Path<V> }) {
  const intl = useIntl();
  const { errors } = useFormState({ control: form.control, name });
  const message = errors[name]?.message ?? (errors[name] as { root?: { message?: string } } | undefined)?.root?.message;
  return typeof message === 'string' ? <p className="field-error" role="alert">{say(intl, message)}</p> : null;
}

/** A calendar date of a schema form, as a React Aria date field, with its refusal beside it. */
export function FormDate<V extends FieldValues>({ form, name, label }: { form: UseFormReturn<V>; name: Path<V>; label: string }) {
  return (
    <div>
      <Controller control={form.control} name={name} render={({ field }) => <DateField label={label} value={(field.value as string) ?? ''} onChange={field.onChange} isRequired />} />
      <FieldError form={form} name={name} />
    </div>
  );
}
