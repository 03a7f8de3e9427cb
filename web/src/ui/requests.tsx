import { FormattedMessage } from 'react-intl';
import type { ResponseOf } from '../api/types';
import type { Format } from '../format';

type Request = ResponseOf<'/api/contract-requests', 'get'>['items'][number];

/** 休会 2027年1月〜2027年3月, or 退会: what a member asked for, in the reader's language. */
export function RequestWhat({ r, fmt }: { r: Pick<Request, 'kind' | 'fromMonth' | 'returnMonth'>; fmt: Format }) {
  if (r.kind === 'cancellation') return <FormattedMessage id="requests.what.cancellation" />;
  return r.returnMonth ? (
    <FormattedMessage id="requests.what.leaveUntil" values={{ from: fmt.month(r.fromMonth!), back: fmt.month(r.returnMonth) }} />
  ) : (
    <FormattedMessage id="requests.what.leave" values={{ from: fmt.month(r.fromMonth!) }} />
  );
}

export function RequestStatus({ status }: { status: Request['status'] }) {
  const tone = { pending: 'status-on_leave', approved: 'status-active', declined: 'status-cancelled', withdrawn: 'status-ended' }[status];
  return <span className={`badge ${tone}`}><FormattedMessage id={`requests.status.${status}`} /></span>;
}
