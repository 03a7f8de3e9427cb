import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { createLocationBody, updateLocationBody } from '../../../../src/modules/schedule/catalog.schemas';
import { Table } from '../../ui';
import { refusesFields, TextField, useSchemaForm } from '../../ui/form';
import { EmptyState, ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';
import { ArchiveButton } from './Archive';

type Location = ResponseOf<'/api/locations', 'get'>['items'][number];
type Values = { name: string; address: string };

/** The studio's places: where its rooms are. */
export function Locations() {
  const intl = useIntl();
  const locations = $api.useQuery('get', '/api/locations');
  const [editing, setEditing] = useState<Location | null>(null);
  const head = ['setup.locations.name', 'setup.locations.address'].map((id) => intl.formatMessage({ id })).concat('');
  return (
    <section aria-labelledby="setup-locations">
      <h2 id="setup-locations"><FormattedMessage id="setup.locations.title" /></h2>
      <p className="muted"><FormattedMessage id="setup.locations.intro" /></p>
      <QueryView query={locations}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState><FormattedMessage id="setup.locations.empty" /></EmptyState>
          ) : (
            <Table head={head}>
              {data.items.map((l) => (
                <tr key={l.id}>
                  <td>{l.name}</td>
                  <td>{l.address}</td>
                  <td>
                    <button type="button" className="link" onClick={() => setEditing(l)} aria-label={intl.formatMessage({ id: 'setup.editNamed' }, { name: l.name })}>
                      <FormattedMessage id="setup.edit" />
                    </button>
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
      <LocationForm key={editing?.id ?? 'new'} location={editing} onDone={() => setEditing(null)} />
    </section>
  );
}

function LocationForm({ location, onDone }: { location: Location | null; onDone: () => void }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const form = useSchemaForm<Values>(location ? updateLocationBody : createLocationBody, { name: location?.name ?? '', address: location?.address ?? '' }, action.error);
  const title = intl.formatMessage({ id: location ? 'setup.locations.editTitle' : 'setup.locations.addTitle' }, { name: location?.name });

  const submit = form.handleSubmit(async (values) => {
    const done = location
      ? await action.run(`location:${location.id}:${JSON.stringify(values)}`, (key) =>
          api.PATCH('/api/locations/{locationId}', { params: { path: { locationId: location.id } }, body: values as unknown as BodyOf<'/api/locations/{locationId}', 'patch'>, headers: { 'idempotency-key': key } }))
      : await action.run(`location:${JSON.stringify(values)}`, (key) =>
          api.POST('/api/locations', { body: values as unknown as BodyOf<'/api/locations', 'post'>, headers: { 'idempotency-key': key } }));
    if (!done) return;
    toast(intl.formatMessage({ id: 'setup.saved' }, { name: done.name }));
    form.reset({ name: '', address: '' });
    onDone();
  });

  return (
    <>
      <h3>{title}</h3>
      <form className="inline" onSubmit={submit} noValidate aria-label={title}>
        <TextField form={form} name="name" label={intl.formatMessage({ id: 'setup.locations.name' })} autoComplete="off" />
        <TextField form={form} name="address" label={intl.formatMessage({ id: 'setup.locations.address' })} autoComplete="off" />
        <button type="submit" disabled={action.busy}><FormattedMessage id={location ? 'setup.save' : 'setup.add'} /></button>
        {location && <button type="button" className="secondary" onClick={onDone}><FormattedMessage id="common.cancel" /></button>}
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
      {location && <ArchiveButton name={location.name} path={`/api/locations/${location.id}`} onDone={onDone} />}
    </>
  );
}
