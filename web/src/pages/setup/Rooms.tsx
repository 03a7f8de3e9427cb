import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { createRoomBody, updateRoomBody } from '../../../../src/modules/schedule/rooms.schemas';
import { Table } from '../../ui';
import { refusesFields, SelectField, TextField, useSchemaForm } from '../../ui/form';
import { EmptyState, ProblemAlert, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';
import { ArchiveButton } from './Archive';
import { FieldError, withNumbers } from './fields';
import { cellsOf, SeatMapEditor, spotsOf, type Spot } from './SeatMap';

type Room = ResponseOf<'/api/rooms', 'get'>['items'][number];
type Location = ResponseOf<'/api/locations', 'get'>['items'][number];
type Values = { locationId: string; name: string; capacity: string; spots?: Spot[] | null };

/** Rooms of each location, their capacity, and the seat maps members choose a spot from. */
export function Rooms() {
  const intl = useIntl();
  const rooms = $api.useQuery('get', '/api/rooms');
  const locations = $api.useQuery('get', '/api/locations');
  const [editing, setEditing] = useState<Room | null>(null);
  const head = ['setup.rooms.name', 'setup.rooms.location', 'setup.rooms.capacity', 'setup.rooms.seatMap'].map((id) => intl.formatMessage({ id })).concat('');
  return (
    <section aria-labelledby="setup-rooms">
      <h2 id="setup-rooms"><FormattedMessage id="setup.rooms.title" /></h2>
      <p className="muted"><FormattedMessage id="setup.rooms.intro" /></p>
      <QueryView query={locations}>
        {(places) => (
          <QueryView query={rooms}>
            {(data) => (
              <>
                {data.items.length === 0 ? (
                  <EmptyState><FormattedMessage id={places.items.length === 0 ? 'setup.rooms.needLocation' : 'setup.rooms.empty'} /></EmptyState>
                ) : (
                  <Table head={head}>
                    {data.items.map((r) => (
                      <tr key={r.id}>
                        <td>{r.name}</td>
                        <td>{places.items.find((l) => l.id === r.locationId)?.name}</td>
                        <td>{r.capacity}</td>
                        <td>{r.spots ? <FormattedMessage id="setup.rooms.spotCount" values={{ count: r.spots.length }} /> : <FormattedMessage id="setup.rooms.noSeatMap" />}</td>
                        <td>
                          <button type="button" className="link" onClick={() => setEditing(r)} aria-label={intl.formatMessage({ id: 'setup.editNamed' }, { name: r.name })}>
                            <FormattedMessage id="setup.edit" />
                          </button>
                        </td>
                      </tr>
                    ))}
                  </Table>
                )}
                {places.items.length > 0 && <RoomForm key={editing?.id ?? 'new'} room={editing} locations={places.items} onDone={() => setEditing(null)} />}
              </>
            )}
          </QueryView>
        )}
      </QueryView>
    </section>
  );
}

function RoomForm({ room, locations, onDone }: { room: Room | null; locations: Location[]; onDone: () => void }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const blank: Values = { locationId: room?.locationId ?? locations[0]!.id, name: room?.name ?? '', capacity: room ? String(room.capacity) : '' };
  const schema = room ? updateRoomBody : createRoomBody;
  const form = useSchemaForm<Values>(withNumbers(schema, ['capacity']), blank, action.error);
  const [mapped, setMapped] = useState(Boolean(room?.spots));
  const [map, setMap] = useState(() => cellsOf(room?.spots));
  const title = intl.formatMessage({ id: room ? 'setup.rooms.editTitle' : 'setup.rooms.addTitle' }, { name: room?.name });

  const save = form.handleSubmit(async (values) => {
    const done = room
      ? await action.run(`room:${room.id}:${JSON.stringify(values)}`, (key) =>
          api.PATCH('/api/rooms/{roomId}', { params: { path: { roomId: room.id } }, body: values as unknown as BodyOf<'/api/rooms/{roomId}', 'patch'>, headers: { 'idempotency-key': key } }))
      : await action.run(`room:${JSON.stringify(values)}`, (key) => api.POST('/api/rooms', { body: values as unknown as BodyOf<'/api/rooms', 'post'>, headers: { 'idempotency-key': key } }));
    if (!done) return;
    toast(intl.formatMessage({ id: 'setup.saved' }, { name: done.name }));
    onDone();
  });
  const submit = (e: FormEvent) => {
    // With a seat map the capacity is its number of spots; the map itself is not a field of the form.
    if (mapped) {
      form.setValue('spots', spotsOf(map.cells, map.rows, map.columns));
      form.setValue('capacity', '');
    } else form.setValue('spots', room?.spots ? null : undefined);
    void save(e);
  };

  return (
    <>
      <h3>{title}</h3>
      <form onSubmit={submit} noValidate aria-label={title}>
        <div className="inline-fields">
          {!room && <SelectField form={form} name="locationId" label={intl.formatMessage({ id: 'setup.rooms.location' })} options={locations.map((l) => [l.id, l.name])} />}
          <TextField form={form} name="name" label={intl.formatMessage({ id: 'setup.rooms.name' })} autoComplete="off" />
          {!mapped && <TextField form={form} name="capacity" label={intl.formatMessage({ id: 'setup.rooms.capacity' })} type="number" inputMode="numeric" min={1} max={1000} />}
        </div>
        <label className="check">
          <input type="checkbox" checked={mapped} onChange={(e) => setMapped(e.target.checked)} />
          <FormattedMessage id="setup.rooms.useSeatMap" />
        </label>
        {mapped && <SeatMapEditor {...map} onChange={setMap} />}
        <FieldError form={form} name="spots" />
        <div className="actions">
          <button type="submit" disabled={action.busy}><FormattedMessage id={room ? 'setup.save' : 'setup.add'} /></button>
          {room && <button type="button" className="secondary" onClick={onDone}><FormattedMessage id="common.cancel" /></button>}
        </div>
      </form>
      {action.error && !refusesFields(action.error, form as never) ? <ProblemAlert error={action.error} /> : null}
      {room && <ArchiveButton name={room.name} path={`/api/rooms/${room.id}`} onDone={onDone} />}
    </>
  );
}
