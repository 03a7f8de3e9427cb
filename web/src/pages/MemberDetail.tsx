import { lazy, Suspense, useReducer, useState } from 'react';
import { Tab, TabList, TabPanel, Tabs, type Key } from 'react-aria-components';
import { formatPhone } from '../phone';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams, useSearchParams } from 'react-router';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { can, useStaffMe } from '../staff/StaffApp';
import { Facts, Input, Select, StatusBadge, Table } from '../ui';
import { ActionFlow } from '../ui/action-flow';
import { DateField } from '../ui/date-field';
import { PageTitle } from '../ui/page';
import { EmptyState, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { Contracts } from './Contracts';
import { UndeliverableNotice } from './people/Undeliverable';
import { BillingSection } from './MemberBilling';
import { PenaltiesSection, ReservationsSection } from './MemberBookings';
import { NotificationPreferences } from './MemberNotifications';
import { fullName, MemberPicker, type MemberStatus, type MemberSummary } from './Members';

/** The profile form checks with the server's zod schema: its own chunk, loaded when opened. */
const EditProfile = lazy(() => import('./people/EditProfile'));
/** Export and erasure (owners and managers): its own chunk, with the decline form's schema. */
const DataSection = lazy(() => import('./DataRequests'));

type Member = ResponseOf<'/api/members/{memberId}', 'get'>;
type StatusHistory = ResponseOf<'/api/members/{memberId}/status', 'get'>;
type Credits = ResponseOf<'/api/members/{memberId}/credits', 'get'>;
type MemberMessages = ResponseOf<'/api/members/{memberId}/messages', 'get'>;
type CheckIns = ResponseOf<'/api/members/{memberId}/check-ins', 'get'>;

/** A member's page (/members/:memberId): who they are, their contracts, status, billing, bookings, credits and mail. */
export function MemberDetail() {
  const { memberId = '' } = useParams();
  // Another member's page starts afresh: no form keeps what was typed for the one before.
  return <MemberPage key={memberId} memberId={memberId} />;
}

function MemberPage({ memberId }: { memberId: string }) {
  const intl = useIntl();
  const format = useFormat();
  const path = { params: { path: { memberId } } };
  const member = $api.useQuery('get', '/api/members/{memberId}', path);
  const status = $api.useQuery('get', '/api/members/{memberId}/status', path);
  const m = member.data;
  const title = m ? fullName(m) : intl.formatMessage({ id: 'members.detail.title' });
  const current = status.data?.status ?? m?.status;
  return (
    <section>
      <PageTitle
        title={title}
        actions={
          <span aria-label={intl.formatMessage({ id: 'members.detail.status' })}>
            {current && <StatusBadge status={current} />}
            {m?.statusSince && <span className="muted small"> <FormattedMessage id="members.detail.statusSince" values={{ date: format.date(m.statusSince) }} /></span>}
          </span>
        }
      >
        {title}
      </PageTitle>
      <p><Link to="/"><FormattedMessage id="members.detail.back" /></Link></p>
      <QueryView query={member} rows={6}>{(data) => <MemberBody member={data} />}</QueryView>
    </section>
  );
}

function MemberBody({ member: m }: { member: Member }) {
  const intl = useIntl();
  const format = useFormat();
  const { role } = useStaffMe();
  const rules = $api.useQuery('get', '/api/settings/membership');
  const currency = rules.data?.currency ?? 'JPY';
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id: `members.detail.${id}` }, values);
  const rows: Array<[string, string]> = [
    [t('memberNumber'), String(m.memberNumber)],
    [t('kana'), [m.familyNameKana, m.givenNameKana].filter((s) => s !== '').join(' ')],
    [t('phone'), formatPhone(m.phone)],
    [t('email'), m.email ?? ''],
    [t('birthDate'), m.birthDate ? format.date(m.birthDate) : ''],
    [t('tags'), m.tags.join(t('tagSeparator'))],
    [
      t('terms'),
      m.termsVersion
        ? t('termsAccepted', { version: m.termsVersion, date: m.termsAcceptedAt ? format.date(format.dayOf(m.termsAcceptedAt)) : '' })
        : t('termsNotAccepted'),
    ],
    [t('notes'), m.staffNotes],
  ];
  const [params, setParams] = useSearchParams();
  const [editing, setEditing] = useState(false);
  const tabs: Array<[Tab, boolean]> = [
    ['overview', true], ['contracts', true], ['credits', true], ['reservations', true], ['penalties', true],
    ['checkIns', true], ['billing', can.sell(role)], ['messages', can.sell(role)], ['family', true], ['data', can.manage(role)],
  ];
  const shown = tabs.filter(([, allowed]) => allowed).map(([id]) => id);
  const asked = params.get('tab') as Tab | null;
  const tab = asked && shown.includes(asked) ? asked : 'overview';
  // The tab is in the address, so a link (or the back button) opens it; replace keeps one history entry per page.
  const choose = (key: Key) => setParams((p) => { p.set('tab', String(key)); return p; }, { replace: true });
  return (
    <Tabs selectedKey={tab} onSelectionChange={choose}>
      {/* The tabs wrap onto a second line on a phone rather than run off the screen. */}
      <TabList className="tabs" style={{ flexWrap: 'wrap' }} aria-label={t('tabs')}>
        {shown.map((id) => (
          <Tab key={id} id={id} className={({ isSelected }) => (isSelected ? 'tab active' : 'tab')}>
            <FormattedMessage id={`members.tab.${id}`} />
          </Tab>
        ))}
      </TabList>
      <TabPanel id="overview">
        {editing ? (
          <Suspense fallback={null}><EditProfile member={m} onDone={() => setEditing(false)} /></Suspense>
        ) : (
          <>
            <Facts rows={rows} />
            {can.sell(role) && (
              <button type="button" className="secondary" onClick={() => setEditing(true)}><FormattedMessage id="members.edit.open" /></button>
            )}
          </>
        )}
        <StatusSection memberId={m.id} canChange={can.sell(role)} />
      </TabPanel>
      <TabPanel id="contracts"><Contracts memberId={m.id} currency={currency} canChange={can.sell(role)} /></TabPanel>
      <TabPanel id="credits"><CreditsSection memberId={m.id} canAdjust={can.manage(role)} /></TabPanel>
      <TabPanel id="reservations"><ReservationsSection memberId={m.id} /></TabPanel>
      <TabPanel id="penalties"><PenaltiesSection memberId={m.id} currency={currency} canManage={can.manage(role)} /></TabPanel>
      <TabPanel id="checkIns"><CheckInsSection memberId={m.id} /></TabPanel>
      {can.sell(role) && <TabPanel id="billing"><BillingSection member={m} canManage={can.manage(role)} /></TabPanel>}
      {can.sell(role) && <TabPanel id="messages"><MessagesSection memberId={m.id} /></TabPanel>}
      <TabPanel id="family"><FamilySection member={m} canChange={can.sell(role)} /></TabPanel>
      {can.manage(role) && <TabPanel id="data"><Suspense fallback={null}><DataSection memberId={m.id} memberNumber={m.memberNumber} /></Suspense></TabPanel>}
    </Tabs>
  );
}

type Tab = 'overview' | 'contracts' | 'credits' | 'reservations' | 'penalties' | 'checkIns' | 'billing' | 'messages' | 'family' | 'data';

/** The member's family: who is in it, who is billed, and (for the desk) joining a lead's family or leaving it. */
function FamilySection({ member: m, canChange }: { member: Member; canChange: boolean }) {
  const intl = useIntl();
  const toast = useToast();
  const [lead, setLead] = useState<MemberSummary | null>(null);
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id: `members.family.${id}` }, values);
  return (
    <>
      <h2><FormattedMessage id="members.family.title" /></h2>
      {m.family.length === 0 ? (
        <EmptyState><FormattedMessage id="members.family.none" /></EmptyState>
      ) : (
        <ul>
          {m.family.map((f) => (
            <li key={f.id}>
              <Link to={`/members/${f.id}?tab=family`}>
                <FormattedMessage id="members.family.member" values={{ name: fullName(f), number: f.memberNumber, billed: f.id === m.billingMemberId ? 'yes' : 'no' }} />
              </Link>
            </li>
          ))}
        </ul>
      )}
      {m.billingMemberId !== m.id && <p className="muted"><FormattedMessage id="members.family.chargesToLead" /></p>}
      {canChange && m.familyLeadId !== null && (
        <ActionFlow
          label={t('leave')}
          method="DELETE"
          path={`/api/members/${m.id}/family-lead`}
          ask={{ text: t('leaveAsk', { name: fullName(m) }), confirmLabel: t('leave') }}
          confirmLabel={t('leave')}
          onDone={() => toast(t('left'))}
          compact
        />
      )}
      {canChange && m.familyLeadId === null && (
        <>
          <h3><FormattedMessage id="members.family.join" /></h3>
          <MemberPicker label={t('leadSearch')} onPick={setLead} />
          {lead && (
            <ActionFlow
              label={t('join')}
              method="PUT"
              path={`/api/members/${m.id}/family-lead`}
              body={{ leadId: lead.id }}
              ask={{ text: t('joinAsk', { name: fullName(m), lead: fullName(lead) }), confirmLabel: t('join') }}
              confirmLabel={t('join')}
              onDone={() => {
                toast(t('joined'));
                setLead(null);
              }}
            />
          )}
        </>
      )}
    </>
  );
}

/** The member's latest check-ins (the server keeps the last 50 here), each with its lesson or as a walk-in. */
function CheckInsSection({ memberId }: { memberId: string }) {
  const intl = useIntl();
  const format = useFormat();
  const checkIns = $api.useQuery('get', '/api/members/{memberId}/check-ins', { params: { path: { memberId } } });
  const t = (id: string) => intl.formatMessage({ id: `members.checkIns.${id}` });
  return (
    <>
      <h2><FormattedMessage id="members.checkIns.title" /></h2>
      <QueryView query={checkIns}>
        {({ items }: CheckIns) =>
          items.length === 0 ? (
            <EmptyState><FormattedMessage id="members.checkIns.none" /></EmptyState>
          ) : (
            <Table head={[t('when'), t('lesson'), t('method')]}>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>{format.dateTime(c.checkedInAt)}</td>
                  <td>{c.lesson ? <Link to={`/lessons/${c.lesson.id}`}>{c.lesson.name}</Link> : t('walkIn')}</td>
                  <td><FormattedMessage id={`members.checkIns.by.${c.method}`} /></td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
    </>
  );
}

const settable: MemberStatus[] = ['trial', 'active', 'on_leave', 'cancelled'];

function StatusSection({ memberId, canChange }: { memberId: string; canChange: boolean }) {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const history = $api.useQuery('get', '/api/members/{memberId}/status', { params: { path: { memberId } } });
  const blank = { to: 'trial' as MemberStatus, effectiveOn: '', reason: '' };
  const [form, setForm] = useState(blank);
  const [round, nextRound] = useReducer((n: number) => n + 1, 0);
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  const { effectiveOn, ...rest } = form;
  const label = (s: MemberStatus) => intl.formatMessage({ id: `memberStatus.${s}` });
  const t = (id: string) => intl.formatMessage({ id: `members.status.${id}` });
  return (
    <>
      <h2><FormattedMessage id="members.status.title" /></h2>
      <QueryView query={history}>
        {(h: StatusHistory) => (
          <>
            {h.events.length === 0 ? (
              <EmptyState><FormattedMessage id="members.status.noEvents" /></EmptyState>
            ) : (
              <Table head={[t('effective'), t('change'), t('reason')]}>
                {h.events.map((e) => (
                  <tr key={e.id}>
                    <td>{format.date(e.effectiveOn)}</td>
                    <td><FormattedMessage id="members.status.fromTo" values={{ from: e.from ? label(e.from) : t('new'), to: label(e.to) }} /></td>
                    <td>{e.reason}</td>
                  </tr>
                ))}
              </Table>
            )}
            {h.scheduled.length > 0 && (
              <>
                <h3><FormattedMessage id="members.status.coming" /></h3>
                <Table head={[t('effective'), t('becomes'), t('reason'), '']}>
                  {h.scheduled.map((s) => (
                    <tr key={s.id}>
                      <td>{format.date(s.effectiveOn)}</td>
                      <td><StatusBadge status={s.to} /></td>
                      <td>{s.reason}<ScheduledRequest memberId={memberId} changeId={s.id} /></td>
                      <td>
                        {s.contractId ? (
                          <span className="muted small"><FormattedMessage id="members.status.byContract" /></span>
                        ) : (
                          canChange && (
                            <ActionFlow
                              label={t('withdraw')}
                              method="DELETE"
                              path={`/api/members/${memberId}/status/${s.id}`}
                              confirmLabel={t('withdrawConfirm')}
                              onDone={() => toast(t('withdrawn'))}
                              compact
                            />
                          )
                        )}
                      </td>
                    </tr>
                  ))}
                </Table>
              </>
            )}
          </>
        )}
      </QueryView>
      {canChange && (
        <>
          <h3><FormattedMessage id="members.status.byHand" /></h3>
          <p className="muted small"><FormattedMessage id="members.status.byHandHelp" /></p>
          <ActionFlow<StatusHistory>
            key={round}
            label={t('changeForm')}
            method="POST"
            path={`/api/members/${memberId}/status`}
            body={effectiveOn ? form : rest}
            confirmLabel={t('record')}
            onDone={() => {
              toast(t('recorded'));
              setForm(blank);
              nextRound();
            }}
          >
            <Select label={t('newStatus')} value={form.to} onChange={set('to')} options={settable.map((s) => [s, label(s)])} />
            <DateField label={t('from')} value={form.effectiveOn} onChange={set('effectiveOn')} />
            <Input label={t('reason')} required value={form.reason} onChange={set('reason')} />
          </ActionFlow>
        </>
      )}
    </>
  );
}

/** When a waiting change was asked for, opened on demand (its own address, so a link could show it alone). */
function ScheduledRequest({ memberId, changeId }: { memberId: string; changeId: string }) {
  const format = useFormat();
  const [open, setOpen] = useState(false);
  const change = $api.useQuery('get', '/api/members/{memberId}/status/{changeId}', { params: { path: { memberId, changeId } } }, { enabled: open });
  if (!open) {
    return <> <button type="button" className="link" onClick={() => setOpen(true)}><FormattedMessage id="members.status.requestedShow" /></button></>;
  }
  return (
    <QueryView query={change}>
      {(c) => <span className="muted small"> <FormattedMessage id={`members.status.requestedBy.${c.requestedBy.kind}`} values={{ when: format.dateTime(c.requestedAt) }} /></span>}
    </QueryView>
  );
}

/** What was sent about the member (to them, or to their family lead), on which channel, and whether it arrived. */
function MessagesSection({ memberId }: { memberId: string }) {
  const intl = useIntl();
  const format = useFormat();
  const messages = $api.useQuery('get', '/api/members/{memberId}/messages', { params: { path: { memberId }, query: { limit: 20 } } });
  const t = (id: string) => intl.formatMessage({ id: `members.messages.${id}` });
  return (
    <>
      <h2><FormattedMessage id="members.messages.title" /></h2>
      <UndeliverableNotice memberId={memberId} />
      <QueryView query={messages}>
        {({ address, items }: MemberMessages) =>
          items.length === 0 ? (
            <EmptyState>
              {address === null ? <FormattedMessage id="members.messages.noAddress" /> : <FormattedMessage id="members.messages.none" values={{ address }} />}
            </EmptyState>
          ) : (
            <Table head={[t('subject'), t('channel'), t('when'), t('delivery')]}>
              {items.map((msg) => (
                <tr key={msg.id}>
                  <td>{msg.subject}</td>
                  <td><FormattedMessage id={`members.messages.channel.${msg.channel}`} /></td>
                  <td>{format.dateTime(msg.sentAt ?? msg.failedAt ?? msg.createdAt)}</td>
                  <td>
                    <span className={`badge mail-${msg.status}`}><FormattedMessage id={`members.messages.status.${msg.status}`} /></span>
                    {/* The reason in the reader's language; the provider's own words for whoever needs them. */}
                    {msg.failure && (
                      <span className="muted small" title={msg.lastError ?? undefined}>
                        {' '}
                        <FormattedMessage id={`members.messages.failure.${msg.failure}`} />
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
      <NotificationPreferences memberId={memberId} />
    </>
  );
}

function CreditsSection({ memberId, canAdjust }: { memberId: string; canAdjust: boolean }) {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const credits = $api.useQuery('get', '/api/members/{memberId}/credits', { params: { path: { memberId }, query: { limit: 10 } } });
  const blank = { amount: '', reason: '', expiresOn: '' };
  const [form, setForm] = useState(blank);
  const [round, nextRound] = useReducer((n: number) => n + 1, 0);
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  const t = (id: string) => intl.formatMessage({ id: `members.credits.${id}` });
  return (
    <>
      <h2><FormattedMessage id="members.credits.title" /></h2>
      <QueryView query={credits}>
        {(c: Credits) => (
          <>
            <p>
              <FormattedMessage id="members.credits.available" values={{ count: c.available, b: (chunks) => <strong>{chunks}</strong> }} />
            </p>
            {c.ledger.length === 0 ? (
              <EmptyState><FormattedMessage id="members.credits.none" /></EmptyState>
            ) : (
              <Table head={[t('when'), t('change'), t('reason'), t('expires')]}>
                {c.ledger.map((l) => (
                  <tr key={l.id}>
                    <td>{format.dateTime(l.createdAt)}</td>
                    <td>
                      <FormattedMessage
                        id="members.credits.movement"
                        values={{ kind: intl.formatMessage({ id: `members.credits.kind.${l.kind}` }), amount: intl.formatNumber(l.amount, { signDisplay: 'exceptZero' }) }}
                      />
                    </td>
                    <td>{l.reason}</td>
                    <td>{l.expiresOn ? format.date(l.expiresOn) : ''}</td>
                  </tr>
                ))}
              </Table>
            )}
          </>
        )}
      </QueryView>
      {canAdjust && (
        <ActionFlow<Credits>
          key={round}
          label={t('adjust')}
          method="POST"
          path={`/api/members/${memberId}/credits/adjustments`}
          body={{ amount: Number(form.amount), reason: form.reason, ...(form.expiresOn ? { expiresOn: form.expiresOn } : {}) }}
          confirmLabel={t('adjust')}
          onDone={() => {
            toast(t('adjusted'));
            setForm(blank);
            nextRound();
          }}
        >
          <Input label={t('amount')} type="number" step={1} min={-1000} max={1000} required value={form.amount} onChange={set('amount')} />
          <Input label={t('reason')} required value={form.reason} onChange={set('reason')} />
          <DateField label={t('expiresOn')} value={form.expiresOn} onChange={set('expiresOn')} />
        </ActionFlow>
      )}
    </>
  );
}
