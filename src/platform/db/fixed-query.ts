import { CompiledQuery, type Compilable } from 'kysely';
import type { Tx } from './databases.js';

/** What a fixed query's parameters may be: values bound as they are, never anything that could shape the SQL. */
export type FixedParam = string | number | boolean | Date | null;

/**
 * Stands for one named parameter while a fixed query is built. Kysely passes it on untouched as a bind value, so
 * after compiling, each bind value that is a stand-in names the parameter that goes in its place. It refuses to
 * become a primitive or JSON, so a build that computes with a parameter (a sum, a string, a literal in the SQL
 * text) fails on its first call instead of fixing that one call's value into every later query.
 */
class StandIn {
  constructor(readonly name: string) {}
  [Symbol.toPrimitive](): never {
    throw new Error(`fixedQuery: the parameter "${this.name}" was computed with while building; a fixed query may only pass its parameters on as values`);
  }
  toJSON(): never {
    return this[Symbol.toPrimitive]();
  }
}

interface Plan {
  sql: string;
  /** Per bind position: the parameter's name, or a constant of the build (a literal status list, say). */
  binds: Array<{ param: string } | { constant: unknown }>;
}

/**
 * A hot statement whose text never depends on its values, built and compiled by Kysely once per process and then
 * only bound. Building and compiling a Kysely query takes 20–100 µs of the app's CPU each time, a fifth of a
 * booking's; the SQL comes out the same every time, so it is kept.
 *
 * `build` must read each parameter by name (`p.memberId`) and pass it on as a value: no arithmetic, no strings
 * made of it, no spreading `p` (those throw on the first call, see StandIn), and no test of it either: a stand-in
 * is a truthy object, so `p.x ? … : …`, `p.x ?? y` or `p.x === null` would silently fix one shape for every call.
 * Nor may the build read anything else that changes between calls (the clock, the request's locale, config): it
 * runs once. Anything that changes the query's shape (a list's length, a condition left out) belongs in a separate
 * fixed query. The parameters are flat scalars, so a nested value cannot slip through unbound.
 */
export function fixedQuery<P extends { [K in keyof P]: FixedParam }, O>(build: (db: Tx, p: P) => Compilable<O>): (db: Tx, params: P) => Promise<O[]> {
  let plan: Plan | null = null;
  return async (db, params) => {
    plan ??= planOf(db, build);
    const byName = params as Record<string, FixedParam>;
    const values = plan.binds.map((b) => ('param' in b ? byName[b.param] : b.constant));
    const result = await db.executeQuery<O>(CompiledQuery.raw(plan.sql, values));
    return result.rows;
  };
}

function planOf<P, O>(db: Tx, build: (db: Tx, p: P) => Compilable<O>): Plan {
  const standIns = new Map<string, StandIn>();
  const p = new Proxy({} as Record<string, StandIn>, {
    get: (_target, name) => {
      if (typeof name !== 'string') return undefined;
      let standIn = standIns.get(name);
      if (!standIn) standIns.set(name, (standIn = new StandIn(name)));
      return standIn;
    },
  });
  const compiled = build(db, p as P).compile();
  return {
    sql: compiled.sql,
    binds: compiled.parameters.map((value) => (value instanceof StandIn ? { param: value.name } : { constant: value })),
  };
}
