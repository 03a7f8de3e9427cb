import { z } from 'zod';
import { clusterName, placementId } from './tenants.schemas.js';

const timestamp = z.string().describe('ISO 8601');

export const moveBody = z.object({
  to: z.union([z.literal('silo'), placementId]).describe('"silo" for a database of its own, or a placement id (a pool cell, a silo made ahead)'),
  cluster: clusterName.optional().describe('With to=silo: the cluster of the new silo (default main)'),
  method: z.enum(['copy']).optional().describe('copy: the read-only copy even where logical replication could run'),
  dryRun: z.boolean().default(false).describe('Only say how the move would go: target, method, rows'),
});

export const movePlan = z
  .object({
    tenant: z.object({ id: z.string(), slug: z.string() }),
    from: z.object({ placementId: z.string(), tier: z.string(), cluster: z.string() }),
    to: z.object({ placementId: z.string(), tier: z.string(), cluster: z.string(), exists: z.boolean() }),
    method: z.enum(['replication', 'copy']).describe('replication: served as usual, writes pause only for the cut-over; copy: read-only during the copy'),
    why: z.string().describe('Why this method (for a copy: what replication needs that is missing)'),
    resumes: z.object({ moveId: z.string(), state: z.string() }).nullable(),
    tables: z.array(z.object({ table: z.string(), rows: z.number() })),
    rows: z.number(),
  })
  .meta({ id: 'MovePlan' });

export const moveDto = z
  .object({
    id: z.string(),
    state: z.enum(['replicating', 'copying', 'fenced', 'switched', 'done', 'failed']),
    from: z.string(),
    to: z.string(),
    method: z.string(),
    tables: z.number().nullable().describe('Tables copied (while replicating: whose first copy is done)'),
    rows: z.number().nullable().describe('Rows copied and verified (while copying: so far)'),
    writePauseMs: z.number().nullable(),
    error: z.string().nullable(),
    startedAt: timestamp,
    updatedAt: timestamp,
    finishedAt: timestamp.nullable(),
    sourcePurgedAt: timestamp.nullable(),
  })
  .meta({ id: 'TenantMove' });

export const moveList = z.object({ items: z.array(moveDto) });
export const moveStarted = z.object({ plan: movePlan, queued: z.literal(true) });
