import { AppError } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import type { WaitingRoomRules } from './booking-policy.js';
import { waitingRoomRepo, type WaitingRoom, type WaitingRoomEntry } from './waiting-room.repo.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
// A queue still running a day after its opening would be one nobody waits in any more: the opening is then open.
const ROOM_SPAN = 24 * 60 * MINUTE;

/** When members may start queueing for an opening; null: the studio has no waiting room. */
export const queueOpensAt = (rules: WaitingRoomRules, opensAt: Date) =>
  rules.minutesBefore === null ? null : new Date(opensAt.getTime() - rules.minutesBefore * MINUTE);

/**
 * How many places are let in by `now`: a batch at the opening and another each second after it, so the platform's
 * rate and not the crowd's size sets the load. Nobody is let in before a lottery is drawn.
 */
export function admittedThrough(room: WaitingRoom, now: Date) {
  if (now < room.opens_at || (room.admission_order === 'lottery' && room.drawn_at === null)) return 0;
  return room.admit_per_second * (Math.floor((now.getTime() - room.opens_at.getTime()) / SECOND) + 1);
}

/** When a place is let in: known in advance, so a member's phone waits for its moment instead of asking again. */
export const turnOf = (room: Pick<WaitingRoom, 'opens_at' | 'admit_per_second'>, position: number) =>
  new Date(room.opens_at.getTime() + Math.floor((position - 1) / room.admit_per_second) * SECOND);

/** What stands between a member and booking a lesson of an opening. */
export type Gate =
  | { kind: 'open' }
  | { kind: 'join'; opensAt: Date }
  | { kind: 'queued'; opensAt: Date; order: WaitingRoom['admission_order']; position: number | null; turnAt: Date | null };

const OPEN: Gate = { kind: 'open' };

function gateOf(rules: WaitingRoomRules, opensAt: Date, now: Date, room: WaitingRoom | undefined, entry: WaitingRoomEntry | undefined): Gate {
  const from = queueOpensAt(rules, opensAt);
  if (from === null || now < from || now.getTime() >= opensAt.getTime() + ROOM_SPAN) return OPEN;
  if (entry && room) {
    if (entry.position !== null && entry.position <= admittedThrough(room, now)) return OPEN;
    return { kind: 'queued', opensAt, order: room.admission_order, position: entry.position, turnAt: entry.position === null ? null : turnOf(room, entry.position) };
  }
  // Before the opening anyone may queue. After it, late arrivals queue behind those still waiting; once the
  // queue has been let in (or nobody queued at all) there is nothing to wait for.
  if (now < opensAt) return { kind: 'join', opensAt };
  // Before a lottery's draw its places are not given yet, but everyone who queued holds one.
  const places = room ? (room.admission_order === 'lottery' && room.drawn_at === null ? room.joined : room.last_position) : 0;
  if (!room || admittedThrough(room, now) >= places) return OPEN;
  return { kind: 'join', opensAt };
}

/**
 * The member's gate for each opening. Two queries at most, and none when the studio has no waiting room or no
 * opening is near. With `draw`, a lottery whose opening has come is drawn here, under the room's lock, by the
 * first to look (a job queued at the opening draws it too, so nobody has to look): only requests that commit
 * what they read may draw, never a booking that may yet be refused, whose rollback would undo the draw and
 * have the next request draw other places.
 */
export async function gatesFor(ctx: TenantContext, rules: WaitingRoomRules, memberId: string, openings: Date[], p: { draw: boolean }) {
  const gates = new Map<number, Gate>();
  const near = [...new Map(openings.map((o) => [o.getTime(), o])).values()].filter((o) => {
    const from = queueOpensAt(rules, o);
    return from !== null && ctx.now >= from && ctx.now.getTime() < o.getTime() + ROOM_SPAN;
  });
  if (near.length > 0) {
    const [rooms, entries] = await Promise.all([waitingRoomRepo.rooms(ctx.db, near), waitingRoomRepo.entries(ctx.db, memberId, near)]);
    const byOpening = new Map(rooms.map((r) => [r.opens_at.getTime(), r]));
    const mine = new Map(entries.map((e) => [e.opens_at.getTime(), e]));
    for (const room of p.draw ? rooms : []) {
      if (room.drawn_at !== null || ctx.now < room.opens_at) continue;
      byOpening.set(room.opens_at.getTime(), (await drawIfDue(ctx, room.opens_at)) ?? room);
      const entry = await waitingRoomRepo.entry(ctx.db, room.opens_at, memberId);
      if (entry) mine.set(room.opens_at.getTime(), entry);
    }
    for (const o of near) gates.set(o.getTime(), gateOf(rules, o, ctx.now, byOpening.get(o.getTime()), mine.get(o.getTime())));
  }
  return (opensAt: Date) => gates.get(opensAt.getTime()) ?? OPEN;
}

/** Draws the opening's places if nobody has yet; the room as it then stands. */
export async function drawIfDue(ctx: TenantContext, opensAt: Date) {
  const undrawn = await waitingRoomRepo.lockDrawable(ctx.db, opensAt);
  if (undrawn) return waitingRoomRepo.draw(ctx.db, undrawn, ctx.now);
  // Someone else drew it meanwhile (or the room is gone): read it as they left it.
  return (await waitingRoomRepo.rooms(ctx.db, [opensAt]))[0];
}

/** A member's booking or waitlist request for a lesson of an opening with a queue that has not let them in yet. */
export function assertPastGate(gate: Gate) {
  if (gate.kind === 'join') throw new AppError('conflict', text('reservations.waiting_room.join_first'), { reason: 'waiting_room', opensAt: gate.opensAt.toISOString() });
  if (gate.kind === 'queued') {
    throw new AppError('conflict', gate.turnAt ? text('reservations.waiting_room.wait_turn', { at: gate.turnAt, position: gate.position! }) : text('reservations.waiting_room.wait_draw', { at: gate.opensAt }), {
      reason: 'waiting_room_turn',
      position: gate.position,
      turnAt: gate.turnAt?.toISOString() ?? null,
    });
  }
}

type Queued = Extract<Gate, { kind: 'queued' }>;

const queuedDto = (gate: Queued) => ({
  state: 'queued' as const, opensAt: gate.opensAt.toISOString(), order: gate.order, position: gate.position, turnAt: gate.turnAt?.toISOString() ?? null,
});

/** A lesson's state for the member as its opening's queue has it; null when no queue stands in the way. */
export const queueStateOf = (gate: Gate, now: Date) =>
  gate.kind === 'queued'
    ? queuedDto(gate)
    : gate.kind === 'join'
      ? { state: 'queue' as const, opensAt: gate.opensAt.toISOString(), opened: now >= gate.opensAt }
      : null;

/** Where the member stands after asking to queue: in it, or let in. */
export const standingOf = (gate: Gate, opensAt: Date) => (gate.kind === 'queued' ? queuedDto(gate) : { state: 'admitted' as const, opensAt: opensAt.toISOString() });

/**
 * Queues the member for the opening of a lesson's booking window. Idempotent: a member already queued, let in, or
 * facing no queue is told where they stand. Joins of one opening take turns on its room's row.
 */
export async function joinWaitingRoom(
  ctx: TenantContext,
  rules: WaitingRoomRules,
  memberId: string,
  window: { opensAt: Date; closesAt: Date },
  admitPerSecond: number,
) {
  const from = queueOpensAt(rules, window.opensAt);
  if (from === null) throw new AppError('conflict', text('reservations.waiting_room.none'), { reason: 'no_waiting_room' });
  if (ctx.now < from) {
    throw new AppError('unprocessable', text('reservations.waiting_room.not_open_yet', { at: from }), { reason: 'queue_not_open', queueOpensAt: from.toISOString() });
  }
  if (ctx.now >= window.closesAt) throw new AppError('unprocessable', text('reservations.closed'), { reason: 'closed' });
  const gate = (await gatesFor(ctx, rules, memberId, [window.opensAt], { draw: true }))(window.opensAt);
  if (gate.kind !== 'join') return { gate, joined: false };
  let room = await waitingRoomRepo.lockRoom(ctx.db, { opens_at: window.opensAt, admission_order: rules.order, admit_per_second: admitPerSecond });
  const already = await waitingRoomRepo.entry(ctx.db, window.opensAt, memberId);
  if (already) return { gate: gateOf(rules, window.opensAt, ctx.now, room, already), joined: false };
  if (room.drawn_at === null && ctx.now >= room.opens_at) room = await waitingRoomRepo.draw(ctx.db, room, ctx.now);
  const placed = room.admission_order === 'arrival' || room.drawn_at !== null;
  if (!placed && room.joined === 0) {
    ctx.queueAfterCommit?.('waiting_room_draw', { tenantId: ctx.tenant.id, opensAt: room.opens_at.toISOString() }, { jobKey: `waiting_room_draw:${ctx.tenant.id}:${room.opens_at.toISOString()}`, runAt: room.opens_at });
  }
  const ticket = await waitingRoomRepo.takeTicket(ctx.db, window.opensAt, placed);
  const entry = await waitingRoomRepo.insertEntry(ctx.db, {
    opens_at: window.opensAt, member_id: memberId, ticket: ticket.joined, position: placed ? ticket.last_position : null, joined_at: ctx.now,
  });
  return { gate: gateOf(rules, window.opensAt, ctx.now, { ...room, ...ticket }, entry), joined: true };
}
