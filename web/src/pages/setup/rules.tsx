import { useIntl } from 'react-intl';
import type { FieldValues, Path, UseFormReturn } from 'react-hook-form';
import type { Format } from '../../format';
import { SelectField, TextField } from '../../ui/form';
import { Hint } from './fields';

/** The booking rules a lesson type may override, as the studio's settings and the lesson types' forms show them. */
export const ruleKeys = ['opensDaysBefore', 'opensAt', 'closesMinutesBefore', 'cancelDeadlineMinutesBefore', 'lateCancelPenalty', 'noShowPenalty', 'penaltyFee'] as const;
export type RuleKey = (typeof ruleKeys)[number];
export const penalties = ['none', 'lose_credit', 'fee', 'strike'] as const;
/** Settings chosen from a list: each value's words are `setup.<rule>.<value>`. */
const choices: Record<string, readonly string[]> = { waitingRoomOrder: ['arrival', 'lottery'] };
const kind = (rule: string) =>
  ['opensAt', 'quietStart', 'quietEnd'].includes(rule) ? 'time' : rule.endsWith('Penalty') ? 'penalty' : rule in choices ? 'choice' : 'number';

/**
 * One setting with its label and, beside it, what it means for members in plain words. `name` is the form's path
 * (`bookingRules.opensAt`), `rule` the setting (`opensAt`); `inherit` (a lesson type's) adds "the studio's rule"
 * as the blank choice and says what that is now.
 */
export function RuleField<V extends FieldValues>({ form, name, rule, inherit }: { form: UseFormReturn<V>; name: Path<V>; rule: string; inherit?: string }) {
  const intl = useIntl();
  const label = intl.formatMessage({ id: `setup.rule.${rule}` });
  const hint = intl.formatMessage({ id: `setup.rule.${rule}.hint` });
  const type = kind(rule);
  const field =
    type === 'penalty' ? (
      <SelectField
        form={form}
        name={name}
        label={label}
        options={[
          ...(inherit !== undefined ? [['', intl.formatMessage({ id: 'setup.rule.followStudio' })] as [string, string]] : []),
          ...penalties.map((p): [string, string] => [p, intl.formatMessage({ id: `setup.penalty.${p}` })]),
        ]}
      />
    ) : type === 'choice' ? (
      <SelectField form={form} name={name} label={label} options={choices[rule]!.map((c): [string, string] => [c, intl.formatMessage({ id: `setup.${rule}.${c}` })])} />
    ) : (
      <TextField form={form} name={name} label={label} type={type === 'time' ? 'time' : 'number'} inputMode={type === 'time' ? undefined : 'numeric'} min={type === 'number' ? 0 : undefined} />
    );
  return (
    // The field and its explanation side by side on a desk, one under the other on a phone.
    <div className="rule" style={{ display: 'flex', flexWrap: 'wrap', gap: '0 1.25rem', alignItems: 'center', marginBottom: '0.5rem' }}>
      <div style={{ flex: '0 1 20rem', minWidth: 0 }}>{field}</div>
      <div style={{ flex: '1 1 16rem', minWidth: 0 }}>
        <Hint>
          {hint}
          {inherit !== undefined && <> {intl.formatMessage({ id: 'setup.rule.studioValue' }, { value: inherit })}</>}
        </Hint>
      </div>
    </div>
  );
}

/** A rule's value as words: a penalty by its name, the fee as money, anything else as it is. */
export function ruleValue(intl: ReturnType<typeof useIntl>, f: Format, rule: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (rule === 'penaltyFee') return f.money(Number(value));
  const type = kind(rule);
  return type === 'penalty' ? intl.formatMessage({ id: `setup.penalty.${String(value)}` }) : type === 'choice' ? intl.formatMessage({ id: `setup.${rule}.${String(value)}` }) : String(value);
}
