import { formatBytes, type PlanStanding, type Quota } from '../api';
import { dateAndClock } from '../time';
import { Alert, useApi } from '../ui';

const count = (n: number) => n.toLocaleString('en-US');

/** How each quota reads: its label, and what "450 of 500 …" counts. */
const quotaText: Record<Quota['key'], { label: string; noun: string; one: string }> = {
  members: { label: 'Members', noun: 'members', one: 'member' },
  locations: { label: 'Locations', noun: 'locations', one: 'location' },
  staff: { label: 'Staff accounts', noun: 'active staff accounts', one: 'active staff account' },
  storageBytes: { label: 'Stored data', noun: 'members', one: 'member' },
  apiRequestsPerMinute: { label: 'API requests', noun: 'requests', one: 'request' },
};

const LARGER_PLAN = 'Contact Studiohive to move to a larger plan.';

function figures(q: Quota, measured: boolean): string {
  const { noun, one } = quotaText[q.key];
  if (q.key === 'apiRequestsPerMinute') return q.max === null ? 'Unlimited' : `Up to ${count(q.max)} per minute`;
  if (q.key === 'storageBytes') {
    if (!measured) return q.max === null ? 'Not measured yet, unlimited' : `Not measured yet, of ${formatBytes(q.max)}`;
    return q.max === null ? `${formatBytes(q.usage ?? 0)}, unlimited` : `${formatBytes(q.usage ?? 0)} of ${formatBytes(q.max)}`;
  }
  return q.max === null ? `${count(q.usage ?? 0)} ${q.usage === 1 ? one : noun}, unlimited` : `${count(q.usage ?? 0)} of ${count(q.max)} ${noun}`;
}

function hint(q: Quota): string | null {
  if (q.level === 'warning') return `Getting close to the limit. ${LARGER_PLAN}`;
  // Storage refuses new members (they are what makes a studio's data grow); the others refuse one more of themselves.
  if (q.level === 'critical') return `At or very near the limit: new ${quotaText[q.key].noun} will be refused. ${LARGER_PLAN}`;
  return null;
}

/**
 * Settings → Plan and limits: where the studio stands against its Studiohive plan, so a refused create
 * (quota_exceeded) comes as no surprise. The levels are those the operators see in their limits report.
 */
export function PlanLimits({ timeZone }: { timeZone: string }) {
  const { data, error } = useApi<PlanStanding>('/api/settings/plan');
  return (
    <section aria-labelledby="plan-limits">
      <h3 id="plan-limits">Plan and limits</h3>
      <Alert text={error} />
      {data && (
        <>
          <p>
            Studiohive plan: <strong>{data.plan.charAt(0).toUpperCase()}{data.plan.slice(1)}</strong>
          </p>
          <ul className="quotas">
            {data.quotas.map((q) => {
              const { label } = quotaText[q.key];
              const text = figures(q, data.storageMeasuredAt !== null);
              const shown = q.percent !== null && !(q.key === 'storageBytes' && data.storageMeasuredAt === null);
              const advice = hint(q);
              return (
                <li key={q.key} className={`quota ${q.level ?? ''}`} data-quota={q.key}>
                  <div className="row">
                    <strong>{label}</strong>
                    <span>{text}</span>
                  </div>
                  {shown && (
                    <div className="bar" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.min(100, q.percent!)} aria-valuetext={`${text} (${q.percent}%)`}>
                      <span style={{ width: `${Math.min(100, q.percent!)}%` }} />
                    </div>
                  )}
                  {q.key === 'storageBytes' && data.storageMeasuredAt && (
                    <p className="muted small">Measured {dateAndClock(data.storageMeasuredAt, timeZone)}; new members are refused once the limit is reached.</p>
                  )}
                  {advice && <p className="hint" role="note">{advice}</p>}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}
