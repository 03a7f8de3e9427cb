import { z } from 'zod';
import type { TenantRouter } from '../http/tenant-route.js';
import type { Runtime } from '../runtime.js';
import { archiveDownloads } from './archive.service.js';

/** The owner takes the studio's data out (issue 19): the same archive as `studiohive tenants export`. */
export function archiveRoutes({ route }: TenantRouter, runtime: Runtime) {
  const downloads = archiveDownloads(runtime);
  route({
    method: 'POST', url: downloads.route, tags: ['settings'], access: ['owner'], produces: 'application/zip',
    summary: 'The studio’s archive (zip): a file of rows per table, the invoices’ PDFs and a manifest with checksums; never passwords, tokens or keys. Once per 10 minutes; in the audit log',
    schema: { response: z.any().describe('application/zip') },
    handler: (ctx) => downloads.download(ctx),
  });
}
