import { createContext, useContext, useId, useState, type ReactNode } from 'react';
import { useIntl } from 'react-intl';
import type { ResponseOf } from '../api/types';

type Me = ResponseOf<'/api/me', 'get'>;

/**
 * Who the member app acts for: the signed-in member, or a member of the family they lead (a parent booking for a
 * child). The API takes that member's id as `memberId` on the member routes; absent, it means the member
 * themselves. Kept for the browser tab (sessionStorage), so a reload keeps it and every screen agrees.
 */
interface Acting {
  /** The family member acted for; undefined for oneself (the API's default). */
  memberId: string | undefined;
  /** The name of whoever is acted for, to say so on screens. */
  name: string;
  family: Me['family']['members'];
  actFor: (memberId: string | undefined) => void;
}

const ActingContext = createContext<Acting>({ memberId: undefined, name: '', family: [], actFor: () => undefined });
const STORED = 'studiohive.member.actingFor';

export const useActing = () => useContext(ActingContext);

const fullName = (m: { familyName: string; givenName: string }) => `${m.familyName} ${m.givenName}`.trim();

/** Signing out forgets whom this tab acted for. */
export const forgetActing = () => sessionStorage.removeItem(STORED);

export function ActingProvider({ me, children }: { me: Me | undefined; children: ReactNode }) {
  const [wanted, setWanted] = useState(() => sessionStorage.getItem(STORED));
  const family = me?.family.members ?? [];
  // Only a member of the family the API says this member leads; anything else is oneself.
  const member = family.find((f) => f.id === wanted);
  const actFor = (memberId: string | undefined) => {
    if (memberId) sessionStorage.setItem(STORED, memberId);
    else sessionStorage.removeItem(STORED);
    setWanted(memberId ?? null);
  };
  const value: Acting = { memberId: member?.id, name: member ? fullName(member) : me ? fullName(me) : '', family, actFor };
  return <ActingContext.Provider value={value}>{children}</ActingContext.Provider>;
}

/** The choice of whom to act for, shown only to a family lead. */
export function ActingSwitch({ me }: { me: Me | undefined }) {
  const intl = useIntl();
  const id = useId();
  const { memberId, family, actFor } = useActing();
  if (!me || family.length === 0) return null;
  return (
    <div className="acting">
      <label htmlFor={id}>{intl.formatMessage({ id: 'member.acting.label' })}</label>
      <select id={id} value={memberId ?? ''} onChange={(e) => actFor(e.target.value || undefined)}>
        <option value="">{intl.formatMessage({ id: 'member.acting.self' }, { name: fullName(me) })}</option>
        {family.map((f) => <option key={f.id} value={f.id}>{fullName(f)}</option>)}
      </select>
    </div>
  );
}
