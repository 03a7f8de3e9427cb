import type { TenantRouter } from '../../platform/http/tenant-route.js';
import { ALL_STAFF } from '../../platform/http/tenant-route.js';
import * as s from './rooms.schemas.js';
import { roomsService } from './rooms.service.js';

const MANAGERS = ['owner', 'manager'] as const;

/** Rooms of a location, with a capacity or a seat map: where lessons happen. */
export function roomRoutes({ route }: TenantRouter) {
  const tags = ['schedule'];
  route({
    method: 'GET', url: '/api/rooms', summary: 'List rooms (of a location)', tags, access: ALL_STAFF,
    schema: { querystring: s.listRoomsQuery, response: s.roomList },
    handler: (ctx, { query }) => roomsService.list(ctx, query),
  });
  route({
    method: 'POST', url: '/api/rooms', summary: 'Add a room', tags, access: MANAGERS, status: 201,
    schema: { body: s.createRoomBody, response: s.roomDto },
    handler: (ctx, { body }) => roomsService.create(ctx, body),
  });
  route({
    method: 'GET', url: '/api/rooms/:roomId', summary: 'One room, with its seat map', tags, access: ALL_STAFF,
    schema: { params: s.roomIdParams, response: s.roomDto },
    handler: (ctx, { params }) => roomsService.get(ctx, params.roomId),
  });
  route({
    method: 'PATCH', url: '/api/rooms/:roomId', summary: 'Rename, resize, re-map or archive a room', tags, access: MANAGERS,
    schema: { params: s.roomIdParams, body: s.updateRoomBody, response: s.roomDto },
    handler: (ctx, { params, body }) => roomsService.update(ctx, params.roomId, body),
  });
}
