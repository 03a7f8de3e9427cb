import { z } from 'zod';

const displayName = z.string().trim().min(1).max(100).transform((v) => v.normalize('NFKC'));

export const instructorIdParams = z.object({ instructorId: z.uuid() });
export const listInstructorsQuery = z.object({ includeArchived: z.stringbool().default(false) }).strict();

export const createInstructorBody = z
  .object({
    displayName: displayName.meta({ example: 'Aiko' }),
    bio: z.string().trim().max(2000).optional(),
    staffId: z.uuid().nullable().optional().describe('The staff account that teaches as this instructor (one instructor per account); null for a guest'),
  })
  .strict()
  .meta({ example: { displayName: 'Aiko', bio: 'Vinyasa and yin' } });

export const updateInstructorBody = createInstructorBody
  .partial()
  .extend({ archived: z.boolean().optional() })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'validation.at_least_one_change')
  .meta({ example: { bio: 'Vinyasa, yin and pilates' } });

export const instructorDto = z.object({
  id: z.uuid(),
  displayName: z.string(),
  bio: z.string(),
  staffId: z.uuid().nullable(),
  archived: z.boolean(),
});
export const instructorList = z.object({ items: z.array(instructorDto) });
