/**
 * Runs one autocannon load in a process of its own and prints its result as JSON: a second load generator in the
 * measuring process would share that process's event loop, and its own work would show up in the latency measured
 * for the other load.
 *
 *   node --import tsx bench/autocannon-child.ts '<autocannon options as JSON>'
 */
import { createRequire } from 'node:module';

const autocannon = createRequire(import.meta.url)('autocannon') as (opts: unknown) => Promise<unknown>;
const result = await autocannon(JSON.parse(process.argv[2] ?? '{}'));
process.stdout.write(JSON.stringify(result));
