import { keepPreviousData, useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { formatPhone } from '../phone';
import { lazy, Suspense, useEffect, useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { $api, api, saveFile } from '../api/client';
import type { ResponseOf } from '../api/types';
import { can, useStaffMe } from '../staff/StaffApp';
import { SetupBanner } from './setup/Checklist';
import { Input, StatusBadge, Table } from '../ui';
import { PageTitle } from '../ui/page';
import { EmptyState, ErrorState, ProblemAlert, Skeleton } from '../ui/states';

export type MemberSummary = ResponseOf<'/api/members', 'get'>['items'][number];
export type MemberStatus = MemberSummary['status'];
export const memberStatuses: MemberStatus[] = ['provisional', 'trial', 'active', 'on_leave', 'cancelled'];

/** A member's name as the studio writes it: family name first (高橋 優). */
export const fullName = (m: { familyName: string; givenName: string }) => [m.familyName, m.givenName].filter((s) => s !== '').join(' ');

/** The value once it has stopped changing for `ms`: a search goes out when the typing pauses. */
export function useDebounced<T>(value: T, ms = 200): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

const PAGE_SIZE = 25;

/** The front desk's member book: one search box, paging by member number, quick registration. */
/** The register form checks with the server's zod schemas: loaded after the list, so the list shows first. */
const RegisterMember = lazy(() => import('./RegisterMember'));

export function Members() {
  const intl = useIntl();
  const me = useStaffMe();
  const canEdit = can.edit(me.role);
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<MemberStatus | ''>('');
  const [tag, setTag] = useState('');
  const typed = useDebounced(q);
  const typedTag = useDebounced(tag.trim());
  const filters = { ...(typed ? { q: typed } : {}), ...(status ? { status } : {}), ...(typedTag ? { tag: typedTag } : {}) };
  const query = { ...filters, limit: PAGE_SIZE };
  const list = useInfiniteQuery({
    queryKey: ['get', '/api/members', { params: { query } }, 'pages'] as const,
    initialPageParam: null as number | null,
    queryFn: async ({ pageParam, signal }) => {
      const { data } = await api.GET('/api/members', { params: { query: { ...query, ...(pageParam ? { after: pageParam } : {}) } }, signal });
      return data!;
    },
    getNextPageParam: (page) => page.nextCursor,
    // The rows of the last search stay while the next one loads, so the list does not flicker while typing.
    placeholderData: keepPreviousData,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const head = ['number', 'name', 'kana', 'phone', 'status'].map((c) => intl.formatMessage({ id: `members.list.${c}` }));
  const title = intl.formatMessage({ id: 'members.list.title' });

  return (
    <section>
      <PageTitle
        title={title}
        actions={canEdit ? (
          <span className="row">
            <Link className="button secondary" to="/members/import"><FormattedMessage id="members.list.import" /></Link>
            <ExportButton filters={filters} />
          </span>
        ) : undefined}
      >
        {title}
      </PageTitle>
      {can.manage(me.role) && <SetupBanner />}
      <div className="search">
        <div style={{ flex: 1 }}>
          <Input
            label={intl.formatMessage({ id: 'members.list.search' })}
            type="search"
            placeholder={intl.formatMessage({ id: 'members.list.searchHint' })}
            value={q}
            onChange={setQ}
          />
        </div>
        <Input label={intl.formatMessage({ id: 'members.list.tagFilter' })} type="search" value={tag} onChange={setTag} />
        <label>
          <FormattedMessage id="members.list.statusFilter" />
          <select value={status} onChange={(e) => setStatus(e.target.value as MemberStatus | '')}>
            <option value="">{intl.formatMessage({ id: 'members.list.allStatuses' })}</option>
            {memberStatuses.map((s) => <option key={s} value={s}>{intl.formatMessage({ id: `memberStatus.${s}` })}</option>)}
          </select>
        </label>
      </div>
      {list.data === undefined ? (
        list.isError ? <ErrorState error={list.error} retry={() => void list.refetch()} /> : <Skeleton rows={5} />
      ) : items.length === 0 ? (
        list.isPlaceholderData ? (
          <Skeleton rows={5} />
        ) : (
          <EmptyState><FormattedMessage id="members.list.empty" values={{ canRegister: canEdit ? 'yes' : 'no' }} /></EmptyState>
        )
      ) : (
        <div aria-busy={list.isPlaceholderData || undefined}>
          <Table head={head} caption={title}>
            {items.map((m) => (
              <tr key={m.id}>
                <td><Link to={`/members/${m.id}`}>{m.memberNumber}</Link></td>
                <td>{fullName(m)}</td>
                <td>{[m.familyNameKana, m.givenNameKana].filter((s) => s !== '').join(' ')}</td>
                <td>{formatPhone(m.phone)}</td>
                <td><StatusBadge status={m.status} /></td>
              </tr>
            ))}
          </Table>
        </div>
      )}
      {list.data !== undefined && list.isError && <ProblemAlert error={list.error} />}
      {list.hasNextPage && !list.isPlaceholderData && (
        <button type="button" className="secondary" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          <FormattedMessage id="common.more" />
        </button>
      )}
      {canEdit && <Suspense fallback={null}><RegisterMember /></Suspense>}
    </section>
  );
}

/** Downloads the members the list's filters find as a CSV file, with the list's filters. */
function ExportButton({ filters }: { filters: { q?: string; status?: MemberStatus; tag?: string } }) {
  const download = useMutation({
    mutationFn: async () => {
      // Fetched by the API client (not a plain link) so the headers come in the language chosen in the app.
      const { data, error } = await api.GET('/api/members/export', { params: { query: filters }, parseAs: 'blob' });
      if (error !== undefined || !data) throw error;
      saveFile(data as Blob, 'members.csv');
    },
  });
  return (
    <span>
      <button type="button" className="secondary" disabled={download.isPending} onClick={() => download.mutate()}>
        <FormattedMessage id="members.list.export" />
      </button>
      {download.isError && <ProblemAlert error={download.error} />}
    </span>
  );
}

/** Finds a member by the same search as the member book and hands the chosen one over (booking, the front desk). */
export function MemberPicker({ label, onPick }: { label: string; onPick: (m: MemberSummary) => void }) {
  const intl = useIntl();
  const [q, setQ] = useState('');
  const typed = useDebounced(q);
  const matches = $api.useQuery('get', '/api/members', { params: { query: { q: typed, limit: 5 } } }, {
    enabled: typed.trim() !== '',
    placeholderData: keepPreviousData,
  });
  const shown = q.trim() !== '' && typed.trim() !== '';
  return (
    <div className="picker">
      <Input label={label} type="search" placeholder={intl.formatMessage({ id: 'members.list.searchHint' })} value={q} onChange={setQ} autoComplete="off" />
      {shown && matches.isError && <ProblemAlert error={matches.error} />}
      {shown && matches.data && matches.data.items.length > 0 && (
        <ul className="picks" aria-label={intl.formatMessage({ id: 'members.picker.matches' }, { label })}>
          {matches.data.items.map((m) => {
            const who = intl.formatMessage({ id: 'members.picker.member' }, { name: fullName(m), number: m.memberNumber });
            return (
              <li key={m.id}>
                <button type="button" className="link" onClick={() => onPick(m)}>
                  {m.phone ? intl.formatMessage({ id: 'members.picker.withPhone' }, { member: who, phone: formatPhone(m.phone) }) : who}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {shown && matches.data && matches.data.items.length === 0 && !matches.isPlaceholderData && !matches.isFetching && (
        <p className="muted small"><FormattedMessage id="members.picker.none" /></p>
      )}
    </div>
  );
}
