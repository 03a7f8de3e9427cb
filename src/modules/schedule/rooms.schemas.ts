import { z } from 'zod';

const name = z.string().trim().min(1).max(100).transform((v) => v.normalize('NFKC'));
const capacity = z.int().min(1).max(1000);
const spot = z.object({ spot: z.int().min(1).max(1000), label: z.string().trim().min(1).max(20) }).strict();
const spotDto = z.object({ spot: z.int(), label: z.string() });

/** A seat map: each number and each label once. */
const seatMap = z
  .array(spot)
  .min(1)
  .max(1000)
  .refine((spots) => new Set(spots.map((s) => s.spot)).size === spots.length, 'schedule.each_spot_number_once')
  .refine((spots) => new Set(spots.map((s) => s.label)).size === spots.length, 'schedule.each_spot_label_once')
  .describe('Numbered spots (bikes, mats) members may choose; the room’s capacity is their number');

export const roomIdParams = z.object({ roomId: z.uuid() });
export const listRoomsQuery = z.object({ locationId: z.uuid().optional(), includeArchived: z.stringbool().default(false) }).strict();

export const createRoomBody = z
  .object({
    locationId: z.uuid(),
    name: name.meta({ example: 'Studio A' }),
    capacity: capacity.optional().describe('Required without a seat map; with one, it must equal the number of spots'),
    spots: seatMap.optional(),
  })
  .strict()
  .meta({ example: { locationId: '00000000-0000-4000-8000-000000000000', name: 'Studio A', capacity: 20 } });

export const updateRoomBody = z
  .object({
    name: name.optional(),
    capacity: capacity.optional(),
    spots: seatMap.nullable().optional().describe('A new seat map; null removes it'),
    archived: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'validation.at_least_one_change')
  .meta({ example: { capacity: 24 } });

export const roomDto = z.object({
  id: z.uuid(),
  locationId: z.uuid(),
  name: z.string(),
  capacity: z.int(),
  spots: z.array(spotDto).nullable().describe('The seat map, or null'),
  archived: z.boolean(),
});
export const roomList = z.object({ items: z.array(roomDto) });
export type SeatMap = z.output<typeof seatMap>;
