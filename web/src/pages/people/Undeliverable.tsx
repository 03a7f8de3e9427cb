import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../../api/client';
import { useFormat } from '../../format';
import { ProblemAlert } from '../../ui/states';
import { useToast } from '../../ui/toast';

/**
 * Said above what was sent to a member when their mail address bounced or complained: no mail goes to it until
 * staff clear the mark, once the member fixed their mailbox. Nothing is shown otherwise (or while loading).
 */
export function UndeliverableNotice({ memberId }: { memberId: string }) {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const action = useApiAction();
  const marks = $api.useQuery('get', '/api/members/{memberId}/undeliverable', { params: { path: { memberId } } });
  const items = marks.data?.items ?? [];
  if (items.length === 0) return null;
  async function clear() {
    const done = await action.run(`undeliverable:${memberId}`, () => api.DELETE('/api/members/{memberId}/undeliverable', { params: { path: { memberId } } }));
    if (done) toast(intl.formatMessage({ id: 'mail.undeliverable.cleared' }));
  }
  return (
    <div className="card" role="status">
      {items.map((item) => (
        <p key={item.address}>
          <strong><FormattedMessage id="mail.undeliverable.title" /></strong>{' '}
          <FormattedMessage id={`mail.undeliverable.${item.reason}`} values={{ address: item.address, when: format.dateTime(item.reportedAt) }} />
        </p>
      ))}
      <button type="button" onClick={() => void clear()} disabled={action.busy}><FormattedMessage id="mail.undeliverable.clear" /></button>
      <ProblemAlert error={action.error} />
    </div>
  );
}
