import type { ReactNode } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat, type Format } from '../format';
import { QueryView } from '../ui/states';

type PlanStanding = ResponseOf<'/api/settings/plan', 'get'>;
type Quota = PlanStanding['quotas'][number];

/** What "450 of 500 …" reads for a quota: its usage against its limit, in the quota's own unit. */
function figures(intl: IntlShape, f: Format, q: Quota, measured: boolean): string {
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const usage = q.usage ?? 0;
  if (q.key === 'apiRequestsPerMinute') return q.max === null ? t('settings.plan.api.unlimited') : t('settings.plan.api.max', { max: q.max });
  if (q.key === 'storageBytes') {
    if (!measured) return q.max === null ? t('settings.plan.storage.notMeasuredUnlimited') : t('settings.plan.storage.notMeasured', { max: f.bytes(q.max) });
    return q.max === null ? t('settings.plan.storage.unlimited', { usage: f.bytes(usage) }) : t('settings.plan.storage.usage', { usage: f.bytes(usage), max: f.bytes(q.max) });
  }
  return q.max === null ? t(`settings.plan.unlimited.${q.key}`, { usage }) : t(`settings.plan.usage.${q.key}`, { usage, max: q.max });
}

/** Advice when a quota nears its limit. Storage refuses new members (they make a studio's data grow); the others refuse one more of themselves. */
function hint(intl: IntlShape, q: Quota): string | null {
  if (q.level !== 'warning' && q.level !== 'critical') return null;
  const advice = intl.formatMessage({ id: q.level === 'warning' ? 'settings.plan.warning' : `settings.plan.critical.${q.key}` });
  return intl.formatMessage({ id: 'settings.plan.largerPlan' }, { advice });
}

/**
 * Settings → Plan and limits: where the studio stands against its Studiohive plan, so a refused create
 * (quota_exceeded) comes as no surprise. The levels are those the operators see in their limits report.
 */
export function PlanLimits() {
  const standing = $api.useQuery('get', '/api/settings/plan');
  return (
    <section aria-labelledby="plan-limits">
      <h2 id="plan-limits"><FormattedMessage id="settings.plan.title" /></h2>
      <QueryView query={standing} rows={5}>
        {(data) => <Standing data={data} />}
      </QueryView>
    </section>
  );
}

function Standing({ data }: { data: PlanStanding }) {
  const intl = useIntl();
  const f = useFormat();
  const measured = data.storageMeasuredAt !== null;
  return (
    <>
      <p>
        <FormattedMessage
          id="settings.plan.studioPlan"
          values={{ plan: intl.formatMessage({ id: 'settings.plan.name' }, { plan: data.plan }), b: (chunks: ReactNode[]) => <strong>{chunks}</strong> }}
        />
      </p>
      <ul className="quotas">
        {data.quotas.map((q) => {
          const label = intl.formatMessage({ id: `settings.plan.quota.${q.key}` });
          const text = figures(intl, f, q, measured);
          const shown = q.percent !== null && !(q.key === 'storageBytes' && !measured);
          const advice = hint(intl, q);
          return (
            <li key={q.key} className={`quota ${q.level ?? ''}`} data-quota={q.key}>
              <div className="row">
                <strong>{label}</strong>
                <span>{text}</span>
              </div>
              {shown && (
                <div
                  className="bar"
                  role="progressbar"
                  aria-label={label}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.min(100, q.percent!)}
                  aria-valuetext={intl.formatMessage({ id: 'settings.plan.valueText' }, { text, percent: q.percent! })}
                >
                  <span style={{ width: `${Math.min(100, q.percent!)}%` }} />
                </div>
              )}
              {q.key === 'storageBytes' && data.storageMeasuredAt && (
                <p className="muted small"><FormattedMessage id="settings.plan.measured" values={{ at: f.dateTime(data.storageMeasuredAt) }} /></p>
              )}
              {advice && <p className="hint" role="note">{advice}</p>}
            </li>
          );
        })}
      </ul>
    </>
  );
}
