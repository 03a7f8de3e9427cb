import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { generateApiTypes, schemaFile } from '../../scripts/openapi.js';

// The web app's client is typed by web/src/api/schema.d.ts; a route changed without `npm run gen:api` fails here.
it('keeps the web app’s API types in step with the server’s OpenAPI document', async () => {
  const current = await readFile(schemaFile, 'utf8');
  expect(current === (await generateApiTypes()), 'web/src/api/schema.d.ts is out of date: run `npm run gen:api`').toBe(true);
});
