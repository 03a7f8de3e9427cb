import { z } from 'zod';

/** What a tenant may use. Quotas are enforced against these; overrides per tenant live in the catalog. */
export const limitsSchema = z.object({
  members: z.number().int().min(0),
  locations: z.number().int().min(0),
  staff: z.number().int().min(0),
  storageBytes: z.number().int().min(0),
  apiRequestsPerMinute: z.number().int().min(0),
});
export type Limits = z.infer<typeof limitsSchema>;

const GiB = 1024 ** 3;

export const platformPlans = {
  starter: { members: 500, locations: 1, staff: 10, storageBytes: 1 * GiB, apiRequestsPerMinute: 600 },
  standard: { members: 5_000, locations: 5, staff: 50, storageBytes: 10 * GiB, apiRequestsPerMinute: 3_000 },
  enterprise: { members: 100_000, locations: 100, staff: 1_000, storageBytes: 200 * GiB, apiRequestsPerMinute: 20_000 },
} satisfies Record<string, Limits>;

export type PlatformPlan = keyof typeof platformPlans;
export const platformPlanNames = Object.keys(platformPlans) as [PlatformPlan, ...PlatformPlan[]];

export function limitsFor(plan: PlatformPlan, overrides: Partial<Limits> = {}): Limits {
  return { ...platformPlans[plan], ...overrides };
}
