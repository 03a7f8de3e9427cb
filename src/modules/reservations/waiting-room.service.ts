import { AppError } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import type { WaitingRoomRules } from './booking-policy.js';
import { waitingRoomRepo, type WaitingRoom, type WaitingRoomEntry } from './waiting-room.repo.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
// The longest a studio may open its waiting room before an opening (the setting's bound): a queue joined under a
// longer setting since shortened is still found.
const LONGEST_BEFORE = 120 * MINUTE;
// A queue still running a day after its opening would be one nobody waits in any more: the opening is then open.
const ROOM_SPAN = 24 * 60 * MINUTE;
// The places are drawn a minute before the opening, so every phone learns its turn during that minute (each at a
// moment of its own, spread over READ_SPREAD by its lot) instead of all asking at the opening, a rush of its own.
const DRAW_LEAD = MINUTE;
const READ_SPREAD = 45 * SECOND;

/** When an opening's places are drawn: whoever queues later is a latecomer, placed behind them. */
export const drawAtOf = (opensAt: Date) => new Date(opensAt.getTime() - DRAW_LEAD);

/** Turns start at the opening, or at the draw when it came late, so a late draw lets nobody in at once. */
const firstTurn = (room: WaitingRoom) => (room.drawn_at && room.drawn_at > room.opens_at ? room.drawn_at : room.opens_at);

/** When members may start queueing for an opening; null: the studio has no waiting room. */
export const queueOpensAt = (rules: WaitingRoomRules, opensAt: Date) =>
  rules.minutesBefore === null ? null : new Date(opensAt.getTime() - rules.minutesBefore * MINUTE);

/**
 * How many places are let in by `now`: a batch at the opening and another each second after it, so the
 * platform's rate and not the crowd's size sets the load. Nobody before the draw.
 */
export function admittedThrough(room: WaitingRoom, now: Date) {
  const first = firstTurn(room);
  if (room.drawn_at === null || now < first) return 0;
  return room.admit_per_second * (Math.floor((now.getTime() - first.getTime()) / SECOND) + 1);
}

/**
 * When a place is let in: known in advance, so a member's phone waits for its moment instead of asking again
 * (before the draw, as if it is drawn at the opening).
 */
export const turnOf = (room: WaitingRoom, position: number) =>
  new Date(firstTurn(room).getTime() + Math.floor((position - 1) / room.admit_per_second) * SECOND);

/** What stands between a member and booking a lesson of an opening. */
export type Gate =
  | { kind: 'open' }
  | { kind: 'join'; opensAt: Date }
  | { kind: 'queued'; opensAt: Date; order: WaitingRoom['admission_order']; position: number | null; turnAt: Date | null; checkAt: Date };

const OPEN: Gate = { kind: 'open' };

function gateOf(rules: WaitingRoomRules, opensAt: Date, now: Date, room: WaitingRoom | undefined, entry: WaitingRoomEntry | undefined): Gate {
  if (entry && room) {
    if (entry.position !== null && entry.position <= admittedThrough(room, now)) return OPEN;
    // Before the draw a place in arrival order is the entry's arrival; a lottery's is not known yet.
    const position = entry.position ?? (room.admission_order === 'arrival' ? entry.arrival_place : null);
    const turnAt = position === null ? null : turnOf(room, position);
    // When to look again: at the turn, or (a lottery's place not known yet) at this entry's own moment after the draw.
    const checkAt = turnAt ?? new Date(drawAtOf(opensAt).getTime() + Math.round(entry.lot * READ_SPREAD));
    return { kind: 'queued', opensAt, order: room.admission_order, position, turnAt, checkAt };
  }
  const from = queueOpensAt(rules, opensAt);
  if (from === null || now < from) return OPEN;
  // Before the opening anyone may queue. After it, latecomers queue behind everyone not let in yet (before the
  // draw that is everyone who queued); once the queue has been let in, or nobody queued, there is no queue.
  if (now < opensAt) return { kind: 'join', opensAt };
  if (!room || (room.drawn_at !== null && admittedThrough(room, now) >= room.last_position)) return OPEN;
  return { kind: 'join', opensAt };
}

/**
 * The member's gate for each opening. Two queries at most, and none when the studio has no waiting room or no
 * opening is near. With `draw`, an opening that has come is drawn here, under its room's lock, by the first to
 * look (a job queued for the opening draws it too, so nobody has to look): only requests that commit what they
 * read may draw, never a booking that may yet be refused, whose rollback would undo the draw.
 */
export async function gatesFor(ctx: TenantContext, rules: WaitingRoomRules, memberId: string, openings: Date[], p: { draw: boolean }) {
  const gates = new Map<number, Gate>();
  const near = rules.minutesBefore === null
    ? []
    : [...new Map(openings.map((o) => [o.getTime(), o])).values()].filter((o) => ctx.now.getTime() >= o.getTime() - LONGEST_BEFORE && ctx.now.getTime() < o.getTime() + ROOM_SPAN);
  if (near.length > 0) {
    const [rooms, entries] = await Promise.all([waitingRoomRepo.rooms(ctx.db, near), waitingRoomRepo.entries(ctx.db, memberId, near)]);
    const byOpening = new Map(rooms.map((r) => [r.opens_at.getTime(), r]));
    let mine = new Map(entries.map((e) => [e.opens_at.getTime(), e]));
    const due = p.draw ? rooms.filter((r) => r.drawn_at === null && ctx.now >= drawAtOf(r.opens_at)) : [];
    for (const room of due) byOpening.set(room.opens_at.getTime(), (await drawIfDue(ctx, room.opens_at)) ?? room);
    if (due.length > 0) mine = new Map((await waitingRoomRepo.entries(ctx.db, memberId, near)).map((e) => [e.opens_at.getTime(), e]));
    for (const o of near) gates.set(o.getTime(), gateOf(rules, o, ctx.now, byOpening.get(o.getTime()), mine.get(o.getTime())));
  }
  return (opensAt: Date) => gates.get(opensAt.getTime()) ?? OPEN;
}

/** Draws the opening's places if nobody has yet; the room as it then stands (undefined once purged). */
export async function drawIfDue(ctx: TenantContext, opensAt: Date): Promise<WaitingRoom | undefined> {
  const undrawn = await waitingRoomRepo.lockDrawable(ctx.db, opensAt);
  if (undrawn) return waitingRoomRepo.draw(ctx.db, undrawn, ctx.now);
  // Someone else drew it meanwhile: read it as they left it.
  return (await waitingRoomRepo.rooms(ctx.db, [opensAt]))[0];
}

/** A member's booking or waitlist request for a lesson of an opening with a queue that has not let them in yet. */
export function assertPastGate(gate: Gate) {
  if (gate.kind === 'join') throw new AppError('conflict', text('reservations.waiting_room.join_first'), { reason: 'waiting_room', opensAt: gate.opensAt.toISOString() });
  if (gate.kind === 'queued') {
    throw new AppError('conflict', gate.turnAt ? text('reservations.waiting_room.wait_turn', { at: gate.turnAt, position: gate.position! }) : text('reservations.waiting_room.wait_draw', { at: drawAtOf(gate.opensAt) }), {
      reason: 'waiting_room_turn',
      position: gate.position,
      turnAt: gate.turnAt?.toISOString() ?? null,
    });
  }
}

type Queued = Extract<Gate, { kind: 'queued' }>;

const queuedDto = (gate: Queued) => ({
  state: 'queued' as const, opensAt: gate.opensAt.toISOString(), order: gate.order, position: gate.position, turnAt: gate.turnAt?.toISOString() ?? null,
  drawAt: drawAtOf(gate.opensAt).toISOString(), checkAt: gate.checkAt.toISOString(),
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
 * facing no queue is told where they stand. Before the opening a join only inserts its row (members who all tap
 * at the moment the queue opens do not wait on each other); after it, latecomers take the next place in turn on
 * the room's row.
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
  const gateNow = async () => (await gatesFor(ctx, rules, memberId, [window.opensAt], { draw: true }))(window.opensAt);
  const gate = await gateNow();
  if (gate.kind !== 'join') return gate;
  const made = await waitingRoomRepo.ensureRoom(ctx.db, { opens_at: window.opensAt, admission_order: rules.order, admit_per_second: admitPerSecond });
  const drawAt = drawAtOf(window.opensAt);
  if (ctx.now < drawAt) {
    await waitingRoomRepo.insertEntry(ctx.db, { opens_at: window.opensAt, member_id: memberId, joined_at: ctx.now, position: null });
    const at = window.opensAt.toISOString();
    if (made) ctx.queueAfterCommit?.('waiting_room_draw', { tenantId: ctx.tenant.id, opensAt: at }, { jobKey: `waiting_room_draw:${ctx.tenant.id}:${at}`, runAt: drawAt });
  } else {
    // A latecomer: behind the draw (made now if nobody has yet), the next place.
    const room = await waitingRoomRepo.lockRoom(ctx.db, window.opensAt);
    if (room.drawn_at === null) await waitingRoomRepo.draw(ctx.db, room, ctx.now);
    // The same member's other join may have taken a place while this one waited for the room.
    if ((await waitingRoomRepo.entries(ctx.db, memberId, [window.opensAt])).length > 0) return gateNow();
    await waitingRoomRepo.insertEntry(ctx.db, { opens_at: window.opensAt, member_id: memberId, joined_at: ctx.now, position: await waitingRoomRepo.nextPosition(ctx.db, window.opensAt) });
  }
  return gateNow();
}

/** An opening's queue as the desk sees it: how many queued and how many are let in so far. */
export async function roomSummary(ctx: TenantContext, opensAt: Date) {
  const [room] = await waitingRoomRepo.rooms(ctx.db, [opensAt]);
  if (!room) return null;
  return {
    opensAt: room.opens_at.toISOString(),
    order: room.admission_order,
    queued: await waitingRoomRepo.queued(ctx.db, opensAt),
    letIn: Math.min(admittedThrough(room, ctx.now), room.last_position),
    drawnAt: room.drawn_at?.toISOString() ?? null,
  };
}
