import type { ActorKind } from '../db/types.js';
import type { TenantContext } from './context.js';

export interface Actor {
  kind: ActorKind;
  id: string | null;
}

export const SYSTEM: Actor = { kind: 'system', id: null };

/** Who is doing something, for history rows: the signed-in principal, or the system (jobs). */
export function actorOf(ctx: Pick<TenantContext, 'principal'>): Actor {
  const p = ctx.principal;
  if (!p) return SYSTEM;
  switch (p.kind) {
    case 'staff':
      return { kind: 'staff', id: p.staffId };
    case 'api_key':
      return { kind: 'api_key', id: p.apiKeyId };
    case 'member':
      return { kind: 'member', id: p.memberId };
  }
}
