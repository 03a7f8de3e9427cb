import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api } from '../api/client';
import { QueryView } from '../ui/states';

/** How often the seat map is read again while a member picks: a spot someone else takes shows as taken. */
const SPOTS_REFRESH_MS = 5_000;

/**
 * A room with numbered spots (bikes, mats): Book opens its seat map, taken spots shown (and kept up to date) as
 * unavailable, and the member picks one, or leaves the choice to the studio.
 */
export default function SpotPicker({ lessonId, busy, onBook }: { lessonId: string; busy: boolean; onBook: (spot?: number) => void }) {
  const intl = useIntl();
  const [open, setOpen] = useState(false);
  const [picked, setPicked] = useState<number | null>(null);
  const spots = $api.useQuery('get', '/api/me/lessons/{lessonId}/spots', { params: { path: { lessonId } } }, { enabled: open, refetchInterval: SPOTS_REFRESH_MS });
  if (!open) return <button type="button" disabled={busy} onClick={() => setOpen(true)}><FormattedMessage id="member.schedule.book" /></button>;
  const label = intl.formatMessage({ id: 'member.schedule.spots.label' });
  return (
    <div className="spot-picker" role="group" aria-label={label}>
      <p className="small"><FormattedMessage id="member.schedule.spots.pick" /></p>
      <QueryView query={spots} rows={2}>
        {(data) => {
          // A spot taken meanwhile is no longer picked.
          const chosen = data.spots.find((s) => s.spot === picked && !s.taken);
          return (
            <>
              <div className="spots">
                {data.spots.map((s) => (
                  <button
                    key={s.spot}
                    type="button"
                    className={s.spot === chosen?.spot ? 'spot chosen' : 'spot'}
                    aria-pressed={s.spot === chosen?.spot}
                    disabled={s.taken}
                    aria-label={intl.formatMessage({ id: s.taken ? 'member.schedule.spots.taken' : 'member.schedule.spots.free' }, { label: s.label })}
                    onClick={() => setPicked(s.spot)}
                  >
                    {s.label}
                  </button>
                ))}
              </div>
              <div className="actions">
                <button type="button" disabled={busy || !chosen} onClick={() => chosen && onBook(chosen.spot)}>
                  {chosen ? <FormattedMessage id="member.schedule.spots.bookSpot" values={{ label: chosen.label }} /> : <FormattedMessage id="member.schedule.spots.pickFirst" />}
                </button>
                <button type="button" className="secondary" disabled={busy} onClick={() => onBook(undefined)}>
                  <FormattedMessage id="member.schedule.spots.any" />
                </button>
                <button type="button" className="secondary" onClick={() => setOpen(false)}><FormattedMessage id="common.close" /></button>
              </div>
            </>
          );
        }}
      </QueryView>
    </div>
  );
}
