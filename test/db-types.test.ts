import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { checkedValues, generateDatabaseTypes, generatedFile } from '../scripts/gen-db.js';

describe('generated database types', () => {
  // The suite's database has every migration of this checkout: a migration without a fresh generated.ts fails here.
  it('src/platform/db/generated.ts is what the migrated database gives', async () => {
    const committed = await readFile(generatedFile, 'utf8');
    const fresh = await generateDatabaseTypes(inject('adminUrl'));
    expect(committed, 'src/platform/db/generated.ts is out of date: run `npm run gen:db`').toBe(fresh);
  });

  it('turns a check of listed values into literals, and leaves other checks alone', () => {
    expect(checkedValues("CHECK ((status = ANY (ARRAY['active'::text, 'on_leave'::text])))")).toEqual({ column: 'status', values: ['active', 'on_leave'] });
    expect(checkedValues("CHECK ((purpose = 'check_in'::text))")).toEqual({ column: 'purpose', values: ['check_in'] });
    expect(checkedValues("CHECK ((note = ANY (ARRAY['it''s'::text])))")).toEqual({ column: 'note', values: ["it's"] });
    expect(checkedValues('CHECK ((length(name) >= 1))')).toBeUndefined();
    expect(checkedValues("CHECK (((kind = 'a'::text) OR (kind = 'b'::text)))")).toBeUndefined();
  });
});
