import { useState, type ReactNode } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { selfUpdateBody } from '../../../src/modules/members/members.schemas';
import { $api, api, useApiAction } from '../api/client';
import type { BodyOf, ResponseOf } from '../api/types';
import { ContractOutcome, contractPreview, Input, Select } from '../ui';
import { ActionFlow } from '../ui/action-flow';
import { refusesFields, TextField, useSchemaForm } from '../ui/form';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { useFormat } from '../format';
import { RequestStatus, RequestWhat } from '../ui/requests';
import { useActing } from './acting';
import { BuyPlan } from './BuyPlan';
import { Credits } from './Credits';

type Contract = ResponseOf<'/api/me/contracts', 'get'>['items'][number];
type MyRequest = ResponseOf<'/api/me/contract-requests', 'get'>['items'][number];
type Asked = ResponseOf<'/api/me/contracts/{contractId}/requests', 'post'>;
type Me = ResponseOf<'/api/me', 'get'>;

/**
 * My page: the membership (plan, status, what will be charged, and the leave and cancellation the studio's rules
 * allow, each previewed first), the profile, and the way to the card, notifications and my data. For a family lead
 * acting for a child (acting.tsx), the child's membership and profile.
 */
export function MyPage() {
  const intl = useIntl();
  const acting = useActing();
  const title = intl.formatMessage({ id: 'member.myPage.title' });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      {acting.memberId && <p className="muted"><FormattedMessage id="member.acting.showing" values={{ name: acting.name }} /></p>}
      <Membership />
      <Credits key={`credits-${acting.memberId ?? 'me'}`} />
      <BuyPlan />
      <Profile key={acting.memberId ?? 'me'} />
      <CalendarFeed key={`calendar-${acting.memberId ?? 'me'}`} />
      <h2><FormattedMessage id="member.myPage.more" /></h2>
      <ul className="links">
        <li><Link to="/member/card"><FormattedMessage id="member.card.title" /></Link></li>
        <li><Link to="/member/notifications"><FormattedMessage id="notifications.link" /></Link></li>
        <li><Link to="/member/my-data"><FormattedMessage id="privacy.me.link" /></Link></li>
      </ul>
    </section>
  );
}

function Membership() {
  const { memberId } = useActing();
  const contracts = $api.useQuery('get', '/api/me/contracts', { params: { query: { memberId } } });
  const requests = $api.useQuery('get', '/api/me/contract-requests', { params: { query: { memberId } } });
  const asking = requests.data?.approvalRequired ?? false;
  return (
    <section aria-labelledby="my-membership">
      <h2 id="my-membership"><FormattedMessage id="member.myPage.membership" /></h2>
      <QueryView query={contracts} rows={2}>
        {({ items }) => {
          const current = items.filter((c) => c.status !== 'ended');
          return current.length === 0 ? (
            <EmptyState><FormattedMessage id="member.myPage.noContract" /></EmptyState>
          ) : (
            current.map((c) => (
              <MyContract key={c.id} contract={c} asking={asking} ready={requests.isSuccess} requests={(requests.data?.items ?? []).filter((r) => r.contractId === c.id)} />
            ))
          );
        }}
      </QueryView>
    </section>
  );
}

type Change = 'leave' | 'return' | 'cancel';

/**
 * One contract: what it is and will charge, and the changes a member may ask for, each previewed first. At a
 * studio whose staff approve leaves and cancellations (`asking`), those are sent as requests, shown with their state.
 */
function MyContract({ contract: c, asking, ready, requests }: { contract: Contract; asking: boolean; ready: boolean; requests: MyRequest[] }) {
  const intl = useIntl();
  const toast = useToast();
  const [open, setOpen] = useState<Change | null>(null);
  const leave = c.leaves.filter((l) => !l.withdrawn).at(-1);
  const waiting = (kind: MyRequest['kind']) => requests.some((r) => r.kind === kind && r.status === 'pending');
  // Until the studio's way (direct, or a request) and the pending requests are known, no change is offered.
  const changes: Change[] =
    c.kind !== 'monthly' || !ready
      ? []
      : [...(leave ? (['return'] as const) : waiting('leave') ? [] : (['leave'] as const)), ...(c.endDate || waiting('cancellation') ? [] : (['cancel'] as const))];
  return (
    <article className="contract" aria-label={intl.formatMessage({ id: 'contracts.card' }, { plans: c.plans.map((p) => p.planName).join(' → ') })}>
      <ContractOutcome contract={c} />
      {requests.length > 0 && <MyRequests requests={requests} />}
      {c.kind === 'monthly' && !c.endDate && <AddOption contract={c} />}
      {changes.length > 0 && (
        <div className="actions">
          {changes.map((a) => (
            <button key={a} type="button" className={open === a ? '' : 'secondary'} aria-expanded={open === a} onClick={() => setOpen(open === a ? null : a)}>
              <FormattedMessage id={`member.myPage.action.${a}`} />
            </button>
          ))}
        </div>
      )}
      {open && (
        <ContractChange
          key={open}
          change={open}
          contractId={c.id}
          leaveId={leave?.id}
          asking={asking && open !== 'return'}
          onDone={() => {
            toast(intl.formatMessage({ id: asking && open !== 'return' ? 'member.myPage.requested' : `member.myPage.done.${open}` }));
            setOpen(null);
          }}
          onClose={() => setOpen(null)}
        />
      )}
    </article>
  );
}

/** A leave, a return from leave, or a cancellation: the API's preview (the same rules as the desk's), then confirm. */
function ContractChange({ change, contractId, leaveId, asking, onDone, onClose }: { change: Change; contractId: string; leaveId?: string; asking: boolean; onDone: () => void; onClose: () => void }) {
  const intl = useIntl();
  const [v, setV] = useState({ fromMonth: '', returnMonth: '', reason: '' });
  const set = (k: keyof typeof v) => (value: string) => setV({ ...v, [k]: value });
  const t = (id: string) => intl.formatMessage({ id: `member.myPage.${id}` });
  const forms: Record<Change, { method?: 'PUT'; path: string; previewPath: string; body: object; fields: ReactNode }> = {
    leave: {
      path: `/api/me/contracts/${contractId}/leaves`,
      previewPath: `/api/me/contracts/${contractId}/leaves/preview`,
      body: { fromMonth: v.fromMonth, ...(v.returnMonth ? { returnMonth: v.returnMonth } : {}), ...(v.reason.trim() ? { reason: v.reason } : {}) },
      fields: (
        <>
          <Input label={t('leave.from')} type="month" required value={v.fromMonth} onChange={set('fromMonth')} />
          <Input label={t('leave.back')} type="month" value={v.returnMonth} onChange={set('returnMonth')} />
          <Input label={t('leave.reason')} value={v.reason} onChange={set('reason')} />
        </>
      ),
    },
    return: {
      method: 'PUT',
      path: `/api/me/contracts/${contractId}/leaves/${leaveId}/return`,
      previewPath: `/api/me/contracts/${contractId}/leaves/${leaveId}/return/preview`,
      body: { returnMonth: v.returnMonth },
      fields: <Input label={t('return.back')} type="month" required value={v.returnMonth} onChange={set('returnMonth')} />,
    },
    cancel: {
      path: `/api/me/contracts/${contractId}/cancellation`,
      previewPath: `/api/me/contracts/${contractId}/cancellation/preview`,
      body: { reason: v.reason },
      fields: <Input label={t('cancel.reason')} required value={v.reason} onChange={set('reason')} />,
    },
  };
  const form = forms[change];
  if (asking) {
    // The same fields and the same preview (the contract as it will be), sent to the staff as a request.
    const kind = change === 'leave' ? 'leave' : 'cancellation';
    return (
      <ActionFlow<Asked>
        label={t(`action.${change}`)}
        method="POST"
        path={`/api/me/contracts/${contractId}/requests`}
        body={{ kind, ...form.body }}
        preview={{ path: `/api/me/contracts/${contractId}/requests/preview`, show: (a) => <>{contractPreview(a.contract)}<p className="muted small">{t('requestNote')}</p></> }}
        confirmLabel={t(`request.${change}`)}
        onDone={onDone}
        onClose={onClose}
      >
        <p className="muted small">{t(`help.${change}`)}</p>
        {form.fields}
      </ActionFlow>
    );
  }
  return (
    <ActionFlow<Contract>
      label={t(`action.${change}`)}
      method={form.method ?? 'POST'}
      path={form.path}
      body={form.body}
      preview={{ path: form.previewPath, show: contractPreview }}
      confirmLabel={t(`confirm.${change}`)}
      onDone={onDone}
      onClose={onClose}
    >
      <p className="muted small">{t(`help.${change}`)}</p>
      {form.fields}
    </ActionFlow>
  );
}

/** Options the studio sells in the app (a locker), added to the monthly contract: previewed, then charged monthly. */
function AddOption({ contract: c }: { contract: Contract }) {
  const intl = useIntl();
  const toast = useToast();
  const plans = $api.useQuery('get', '/api/me/plans');
  const [planId, setPlanId] = useState('');
  const [open, setOpen] = useState(false);
  const attached = new Set(c.options.filter((o) => !o.untilDate).map((o) => o.planId));
  const money = useFormat().money;
  const offered = (plans.data?.items ?? []).filter((p) => p.kind === 'option' && !attached.has(p.id));
  if (offered.length === 0) return null;
  const t = (id: string) => intl.formatMessage({ id: `member.myPage.option.${id}` });
  if (!open) {
    return (
      <div className="actions">
        <button type="button" className="secondary" aria-expanded={false} onClick={() => setOpen(true)}>{t('add')}</button>
      </div>
    );
  }
  return (
    <ActionFlow<Contract>
      label={t('add')}
      method="POST"
      path={`/api/me/contracts/${c.id}/options`}
      body={{ planId }}
      preview={{ path: `/api/me/contracts/${c.id}/options/preview`, show: contractPreview }}
      confirmLabel={t('confirm')}
      onDone={() => {
        toast(t('added'));
        setOpen(false);
        setPlanId('');
      }}
      onClose={() => setOpen(false)}
    >
      <p className="muted small">{t('help')}</p>
      <Select
        label={t('which')}
        value={planId}
        placeholder={t('choose')}
        options={offered.map((p): [string, string] => [p.id, `${p.name}（${intl.formatMessage({ id: 'member.myPage.option.monthly' }, { price: money(p.terms.price) })}）`])}
        onChange={setPlanId}
      />
    </ActionFlow>
  );
}

/** The member's requests on a contract: waiting (with withdraw), approved, declined with the studio's reason. */
function MyRequests({ requests }: { requests: MyRequest[] }) {
  const intl = useIntl();
  const fmt = useFormat();
  const toast = useToast();
  return (
    <ul className="plain" aria-label={intl.formatMessage({ id: 'member.myPage.requests' })}>
      {requests.map((r) => (
        <li key={r.id}>
          <RequestWhat r={r} fmt={fmt} /> <RequestStatus status={r.status} />{' '}
          <span className="muted small"><FormattedMessage id="member.myPage.requestedOn" values={{ date: fmt.date(r.requestedOn) }} /></span>
          {r.declineReason && <p className="small"><FormattedMessage id="member.myPage.declinedBecause" values={{ reason: r.declineReason }} /></p>}
          {r.status === 'pending' && (
            <ActionFlow<MyRequest>
              label={intl.formatMessage({ id: 'member.myPage.withdraw' })}
              method="DELETE"
              path={`/api/me/contract-requests/${r.id}`}
              ask={{ text: intl.formatMessage({ id: 'member.myPage.withdrawAsk' }), confirmLabel: intl.formatMessage({ id: 'member.myPage.withdrawConfirm' }) }}
              confirmLabel={intl.formatMessage({ id: 'member.myPage.withdraw' })}
              onDone={() => toast(intl.formatMessage({ id: 'member.myPage.withdrawn' }))}
              compact
            />
          )}
        </li>
      ))}
    </ul>
  );
}

/** The profile fields a member may change, checked by the server's own schema. */
const profile = selfUpdateBody;
type ProfileFields = { familyName: string; givenName: string; familyNameKana: string; givenNameKana: string; phone: string };

function Profile() {
  const { memberId } = useActing();
  const self = $api.useQuery('get', '/api/me', {}, { enabled: !memberId });
  const child = $api.useQuery('get', '/api/me/family/{memberId}', { params: { path: { memberId: memberId ?? '' } } }, { enabled: !!memberId });
  return (
    <section aria-labelledby="my-profile">
      <h2 id="my-profile"><FormattedMessage id="member.myPage.profile" /></h2>
      <QueryView query={memberId ? child : self} rows={3}>{(m) => <ProfileForm member={m} memberId={memberId} />}</QueryView>
    </section>
  );
}

function ProfileForm({ member, memberId }: { member: Me; memberId: string | undefined }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const form = useSchemaForm<ProfileFields>(profile, {
    familyName: member.familyName, givenName: member.givenName, familyNameKana: member.familyNameKana ?? '',
    givenNameKana: member.givenNameKana ?? '', phone: member.phone ?? '',
  }, action.error);
  const submit = form.handleSubmit(async (values) => {
    const body = values as unknown as BodyOf<'/api/me', 'patch'>;
    const saved = await action.run(`profile:${memberId ?? 'me'}:${JSON.stringify(body)}`, () =>
      memberId ? api.PATCH('/api/me/family/{memberId}', { params: { path: { memberId } }, body }) : api.PATCH('/api/me', { body }),
    );
    if (saved) toast(intl.formatMessage({ id: 'member.myPage.profileSaved' }));
  });
  const field = (name: keyof ProfileFields, type = 'text', autoComplete = 'off') => (
    <TextField form={form} name={name} label={intl.formatMessage({ id: `auth.signUp.field.${name}` })} type={type} autoComplete={autoComplete} />
  );
  return (
    <form onSubmit={submit} noValidate aria-label={intl.formatMessage({ id: 'member.myPage.profile' })}>
      <p className="muted small">
        <FormattedMessage id="member.myPage.memberNumber" values={{ number: member.memberNumber }} />
        {member.loginEmail && <> · {member.loginEmail}</>}
      </p>
      {field('familyName', 'text', 'family-name')}
      {field('givenName', 'text', 'given-name')}
      {field('familyNameKana')}
      {field('givenNameKana')}
      {field('phone', 'tel', 'tel')}
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
      <button type="submit" disabled={action.busy}><FormattedMessage id="member.myPage.saveProfile" /></button>
    </form>
  );
}

/** The private address of the bookings' calendar feed, fetched when asked for (it is a key to the bookings). */
function CalendarFeed() {
  const intl = useIntl();
  const { memberId } = useActing();
  const [shown, setShown] = useState(false);
  const feed = $api.useQuery('get', '/api/me/calendar-feed', { params: { query: { memberId } } }, { enabled: shown });
  const title = intl.formatMessage({ id: 'member.calendar.title' });
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      <p className="muted small"><FormattedMessage id="member.calendar.help" /></p>
      {!shown ? (
        <button type="button" className="secondary" onClick={() => setShown(true)}><FormattedMessage id="member.calendar.show" /></button>
      ) : (
        <QueryView query={feed} rows={1}>
          {({ url }) => (
            <>
              <Input label={intl.formatMessage({ id: 'member.calendar.address' })} value={url} onChange={() => undefined} readOnly onFocus={(e) => e.currentTarget.select()} />
              <p><a href={url.replace(/^https?:/, 'webcal:')}><FormattedMessage id="member.calendar.subscribe" /></a></p>
            </>
          )}
        </QueryView>
      )}
    </section>
  );
}
