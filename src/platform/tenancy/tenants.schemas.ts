import { z } from 'zod';
import { DEFAULT_LOCALE, localeSchema } from '../i18n.js';
import { displayName, email, password, timestamp } from '../auth/auth.schemas.js';
import { limitsSchema, platformPlanNames } from './plans.js';

export const slug = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'use 1-40 lower-case letters, digits and inner hyphens')
  .meta({ example: 'yoga-shibuya' });

export const domain = z
  .string()
  .toLowerCase()
  .regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a host name such as book.example.com')
  .meta({ example: 'book.example.com' });

export const placementId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'platform.placement_id_format');
export const clusterName = z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/, 'platform.cluster_name_format');

export const tenantStatus = z.enum(['active', 'suspended', 'deleted']);

export const tenantDto = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    displayName: z.string(),
    status: tenantStatus,
    tier: z.enum(['pool', 'silo']),
    placementId: z.string(),
    plan: z.string(),
    limits: z.record(z.string(), z.number()),
    timezone: z.string(),
    locale: localeSchema,
    domains: z.array(z.string()),
    createdAt: timestamp,
    suspendedAt: timestamp.nullable(),
    deletedAt: timestamp.nullable(),
    purgedAt: timestamp.nullable(),
  })
  .meta({ id: 'Tenant' });

export const createTenantBody = z.object({
  slug,
  displayName: displayName.meta({ example: 'Yoga Shibuya' }),
  tier: z.enum(['pool', 'silo']).default('pool'),
  plan: z.enum(platformPlanNames).default('standard'),
  limits: limitsSchema.partial().optional(),
  locale: localeSchema.default(DEFAULT_LOCALE).describe('The language of its web app, mails and documents; each person may choose their own'),
  placementId: placementId.optional().describe('A pool cell, or a silo made ahead (POST /platform/placements); default: the roomiest cell, or a new silo'),
  cluster: clusterName.optional().describe('The cluster of a new silo, or of the pool cell chosen (main, or a name in EXTRA_CLUSTERS)'),
  owner: z.object({ email, displayName, password: password.optional() }),
});

export const addPlacementBody = z.object({
  tier: z.enum(['pool', 'silo']),
  cluster: clusterName.default('main'),
  id: placementId.optional().describe('Default: {tier}-{cluster}-{random}'),
  database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'platform.database_name_format').optional().describe('Default: studiohive_{id}'),
  tenantCapacity: z.number().int().min(1).max(1_000_000).optional().describe('Pool cells only (default 5000); a silo holds one tenant'),
});

export const createdTenant = z.object({
  tenant: tenantDto,
  owner: z.object({
    id: z.uuid(),
    email: z.string(),
    setupToken: z.string().nullable().describe('Invitation token when no password was given'),
  }),
});

export const tenantRef = z.object({ tenant: z.string().min(1).max(64).describe('Tenant id or slug') });
export const domainParams = tenantRef.extend({ domain });
export const addDomainBody = z.object({ domain });
export const listTenantsQuery = z.object({
  status: tenantStatus.optional(),
  after: z.string().max(64).optional().describe('Cursor: the last slug of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const tenantList = z.object({ items: z.array(tenantDto), nextCursor: z.string().nullable() });
export const deletedTenant = tenantDto.extend({ purgeScheduledAt: timestamp });
export const placementDto = z
  .object({ id: z.string(), tier: z.enum(['pool', 'silo']), cluster: z.string(), database: z.string(), tenantCapacity: z.number(), tenantCount: z.number() })
  .meta({ id: 'Placement' });
export const placementList = z.object({ items: z.array(placementDto) });
