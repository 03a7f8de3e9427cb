import { keepPreviousData, useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { $api, fetchFile, saveFile } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { Input, Select, Table } from '../ui';
import { DateField } from '../ui/date-field';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useDebounced } from './Members';

type Entry = ResponseOf<'/api/audit-log', 'get'>['items'][number];
type Outcome = Entry['outcome'];
const outcomes: Outcome[] = ['done', 'refused', 'failed'];
const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An area's name in words; an area the catalog does not know yet (a new module) shows as the API names it. */
const areaName = (intl: IntlShape, area: string) => {
  const id = `audit.area.${area}`;
  return id in intl.messages ? intl.formatMessage({ id }) : area;
};

/** The owner's audit log: who changed what and when, refused attempts too, filtered and downloadable as CSV. */
export function AuditLog() {
  const intl = useIntl();
  const f = useFormat();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [actorId, setActorId] = useState('');
  const [area, setArea] = useState('');
  const [outcome, setOutcome] = useState<Outcome | ''>('');
  const [target, setTarget] = useState('');
  const [before, setBefore] = useState<string | null>(null);
  const typedTarget = useDebounced(target.trim());
  const targetValid = typedTarget === '' || UUID.test(typedTarget);
  const filters = {
    ...(from ? { from } : {}), ...(to ? { to } : {}), ...(actorId ? { actorId } : {}), ...(area ? { area } : {}),
    ...(outcome ? { outcome } : {}), ...(typedTarget && targetValid ? { targetId: typedTarget } : {}),
  };
  // A changed filter starts again from the newest.
  const refilter = <T,>(set: (v: T) => void) => (v: T) => { set(v); setBefore(null); };
  const list = $api.useQuery('get', '/api/audit-log', { params: { query: { ...filters, limit: PAGE_SIZE, ...(before ? { before } : {}) } } }, { placeholderData: keepPreviousData });
  const download = useMutation({
    mutationFn: async () => saveFile(await fetchFile(`/api/audit-log/export?${new URLSearchParams(filters)}`, 'text/csv'), `audit-log-${f.dayOf(new Date())}.csv`),
  });
  const title = intl.formatMessage({ id: 'audit.title' });
  const head = ['at', 'actor', 'what', 'outcome', 'details'].map((c) => intl.formatMessage({ id: `audit.col.${c}` }));

  return (
    <section>
      <PageTitle
        title={title}
        actions={
          <span>
            <button type="button" className="secondary" disabled={download.isPending} onClick={() => download.mutate()}>
              <FormattedMessage id="audit.csv" />
            </button>
            <ProblemAlert error={download.error} />
          </span>
        }
      >
        {title}
      </PageTitle>
      <p className="muted"><FormattedMessage id="audit.intro" /></p>
      <div className="search">
        <DateField label={intl.formatMessage({ id: 'audit.filter.from' })} value={from} onChange={refilter(setFrom)} />
        <DateField label={intl.formatMessage({ id: 'audit.filter.to' })} value={to} onChange={refilter(setTo)} />
        <Select
          label={intl.formatMessage({ id: 'audit.filter.actor' })}
          value={actorId}
          onChange={refilter(setActorId)}
          options={[['', intl.formatMessage({ id: 'audit.filter.allActors' })], ...(list.data?.actors ?? []).map((a): [string, string] => [a.id, a.name])]}
        />
        <Select
          label={intl.formatMessage({ id: 'audit.filter.area' })}
          value={area}
          onChange={refilter(setArea)}
          options={[['', intl.formatMessage({ id: 'audit.filter.allAreas' })], ...(list.data?.areas ?? []).map((a): [string, string] => [a, areaName(intl, a)])]}
        />
        <Select<Outcome | ''>
          label={intl.formatMessage({ id: 'audit.filter.outcome' })}
          value={outcome}
          onChange={refilter(setOutcome)}
          options={[['', intl.formatMessage({ id: 'audit.filter.allOutcomes' })], ...outcomes.map((o): [Outcome, string] => [o, intl.formatMessage({ id: `audit.outcome.${o}` })])]}
        />
        <Input
          label={intl.formatMessage({ id: 'audit.filter.target' })}
          placeholder={intl.formatMessage({ id: 'audit.filter.targetHint' })}
          type="search"
          value={target}
          onChange={refilter(setTarget)}
          error={targetValid ? undefined : intl.formatMessage({ id: 'audit.filter.targetInvalid' })}
        />
      </div>
      <QueryView query={list} rows={6}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState><FormattedMessage id="audit.empty" /></EmptyState>
          ) : (
            <div aria-busy={list.isPlaceholderData || undefined}>
              <Table head={head} caption={title}>
                {data.items.map((e) => (
                  <tr key={e.id}>
                    <td>{f.dateTime(e.at)}</td>
                    <td>
                      <FormattedMessage
                        id={e.actor.kind === 'api_key' ? 'audit.apiKey' : 'audit.actor'}
                        values={{ name: e.actor.name, role: intl.formatMessage({ id: `role.${e.actor.role}` }) }}
                      />
                    </td>
                    <td>
                      <FormattedMessage id="audit.what" values={{ area: areaName(intl, e.area), verb: intl.formatMessage({ id: `audit.method.${e.method}` }) }} />
                      <br />
                      <code className="small" style={{ overflowWrap: 'anywhere' }}>{e.method} {e.route}</code>
                    </td>
                    <td>
                      {e.outcome === 'done'
                        ? <FormattedMessage id="audit.outcome.done" />
                        : <FormattedMessage id="audit.refusedWith" values={{ status: e.status, code: e.problemCode ?? '' }} />}
                    </td>
                    <td><Details entry={e} /></td>
                  </tr>
                ))}
              </Table>
            </div>
          )
        }
      </QueryView>
      <div className="row">
        {before !== null && (
          <button type="button" className="secondary" onClick={() => setBefore(null)}>
            <FormattedMessage id="audit.newest" />
          </button>
        )}
        {list.data?.nextCursor && (
          <button type="button" className="secondary" disabled={list.isPlaceholderData} onClick={() => setBefore(list.data!.nextCursor)}>
            <FormattedMessage id="audit.older" />
          </button>
        )}
      </div>
    </section>
  );
}

const shown = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** The fields a write changed, before and after, with where it came from; folded until opened. */
function Details({ entry: e }: { entry: Entry }) {
  const intl = useIntl();
  const fields = e.changes ? Object.keys({ ...e.changes.before, ...e.changes.after }) : [];
  return (
    <details style={{ overflowWrap: 'anywhere' }}>
      <summary><FormattedMessage id="audit.changes" /></summary>
      {fields.length === 0 ? (
        <p className="muted small"><FormattedMessage id="audit.noChanges" /></p>
      ) : (
        <Table head={['field', 'before', 'after'].map((c) => intl.formatMessage({ id: `audit.${c}` }))}>
          {fields.map((k) => (
            <tr key={k}>
              <td><code>{k}</code></td>
              <td>{shown(e.changes!.before[k])}</td>
              <td>{shown(e.changes!.after[k])}</td>
            </tr>
          ))}
        </Table>
      )}
      <p className="muted small">
        <FormattedMessage id="audit.from" values={{ ip: e.ip }} />
        <br />
        <FormattedMessage id="audit.request" values={{ id: e.requestId }} />
      </p>
    </details>
  );
}
