import { z } from 'zod';

export const email = z.email().max(254).toLowerCase().meta({ example: 'alex@example.com' });
export const password = z.string().min(10, 'validation.password_length').max(200).meta({ example: 'correct horse battery' });
export const staffRole = z.enum(['owner', 'manager', 'front_desk', 'instructor']);
export const displayName = z.string().trim().min(1).max(200).meta({ example: 'Alex Sato' });
export const timestamp = z.iso.datetime({ offset: true });

export const staffDto = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    role: staffRole,
    status: z.enum(['active', 'disabled']),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Staff' });

export const loginBody = z.object({ email, password: z.string().min(1).max(200) });
export const loginResponse = z.object({ token: z.string(), expiresAt: timestamp, staff: staffDto }).meta({ id: 'Session' });
export const resetRequestBody = z.object({ email });
export const resetConfirmBody = z.object({ token: z.string().min(10).max(200), password });

export const staffIdParams = z.object({ staffId: z.uuid() });
export const createStaffBody = z.object({ email, displayName, role: staffRole });
export const updateStaffBody = z
  .object({ displayName: displayName.optional(), role: staffRole.optional(), status: z.enum(['active', 'disabled']).optional() })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'validation.at_least_one_change')
  .meta({ example: { displayName: 'Alex Sato' } });
export const staffListItem = staffDto.extend({ twoFactorEnabled: z.boolean() }).meta({ id: 'StaffListItem' });
export const staffList = z.object({ items: z.array(staffListItem) });

export const apiKeyDto = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    role: staffRole,
    createdBy: z.uuid().nullable(),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });
export const createdApiKey = apiKeyDto.extend({ key: z.string().describe('Shown once; store it now') });
export const apiKeyIdParams = z.object({ apiKeyId: z.uuid() });
export const createApiKeyBody = z.object({ name: z.string().trim().min(1).max(100), role: staffRole.default('front_desk') });
export const apiKeyList = z.object({ items: z.array(apiKeyDto) });

export const tenantInfo = z
  .object({ id: z.uuid(), slug: z.string(), displayName: z.string(), timezone: z.string(), locale: z.enum(['ja', 'en']) })
  .meta({ id: 'TenantInfo' });

export const studioLocale = z.object({ locale: z.enum(['ja', 'en']) });

export const webAppManifest = z.object({
  name: z.string(),
  short_name: z.string(),
  lang: z.string(),
  start_url: z.string(),
  scope: z.string(),
  display: z.literal('standalone'),
  background_color: z.string(),
  theme_color: z.string(),
  icons: z.array(z.object({ src: z.string(), sizes: z.string(), type: z.string(), purpose: z.enum(['any', 'maskable']) })),
});
