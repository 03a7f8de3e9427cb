import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { $api } from '../api/client';
import { Facts, Table } from '../ui';
import { languageNames } from '../ui/language';
import { QueryView } from '../ui/states';

/**
 * What the member chose in their app (read only here: preferences are the member's own), so the desk can answer
 * "why did I get this by mail?" next to the list of what was sent.
 */
export function NotificationPreferences({ memberId }: { memberId: string }) {
  const intl = useIntl();
  const prefs = $api.useQuery('get', '/api/members/{memberId}/notification-preferences', { params: { path: { memberId } } });
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id: `notifications.${id}` }, values);
  return (
    <>
      <h3><FormattedMessage id="notifications.staff.title" /></h3>
      <QueryView query={prefs} rows={4}>
        {(s) => {
          const reaches = (['line', 'push', 'mail'] as const).filter((c) => s.reachable[c]).map((c) => t(`channel.${c}`));
          return (
            <>
              {s.via && (
                <p>
                  <FormattedMessage
                    id="notifications.staff.via"
                    values={{ lead: <Link to={`/members/${s.via.memberId}?tab=messages`}>{s.via.name}</Link> }}
                  />
                </p>
              )}
              <Facts
                rows={[
                  [t('staff.language'), s.locale ? languageNames[s.locale] : t('language.studio', { language: languageNames[s.studioLocale] })],
                  [t('staff.reaches'), reaches.length ? intl.formatList(reaches) : t('staff.reachesNothing')],
                ]}
              />
              <Table head={[t('staff.kind'), t('staff.sent'), t('channel')]}>
                {s.kinds.map((k) => (
                  <tr key={k.kind}>
                    <td><FormattedMessage id={`notifications.kind.${k.kind}`} /></td>
                    <td>{!k.optional ? t('staff.always') : k.enabled ? t('staff.on') : t('staff.off')}</td>
                    <td>{t(`channel.${k.channel ?? 'auto'}`)}</td>
                  </tr>
                ))}
              </Table>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
