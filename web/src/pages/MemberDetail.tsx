import { useEffect, useState } from 'react';
import { api, ApiError, type Member } from '../api';
import { navigate } from '../App';

export function MemberDetail({ id }: { id: string }) {
  const [member, setMember] = useState<Member | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<Member>('GET', `/api/members/${id}`)
      .then(setMember)
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : 'Could not load the member.'));
  }, [id]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!member) return <p>Loading…</p>;
  const rows: Array<[string, string]> = [
    ['Member number', String(member.memberNumber)],
    ['Kana', `${member.familyNameKana} ${member.givenNameKana}`.trim()],
    ['Phone', member.phone ?? ''],
    ['Email', member.email ?? ''],
    ['Birth date', member.birthDate ?? ''],
    ['Tags', member.tags.join(', ')],
    ['Terms', member.termsVersion ? `${member.termsVersion} (accepted ${member.termsAcceptedAt?.slice(0, 10)})` : 'not accepted'],
    ['Notes', member.staffNotes],
  ];
  return (
    <section>
      <button className="link" onClick={() => navigate('/')}>← Members</button>
      <h2>{member.familyName} {member.givenName}</h2>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}><th>{k}</th><td>{v}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Family</h3>
      {member.family.length === 0 ? (
        <p className="muted">No family links.</p>
      ) : (
        <ul>
          {member.family.map((f) => (
            <li key={f.id}>
              <button className="link" onClick={() => navigate(`/members/${f.id}`)}>
                {f.familyName} {f.givenName} (No. {f.memberNumber}){f.id === member.billingMemberId ? ' · billed' : ''}
              </button>
            </li>
          ))}
        </ul>
      )}
      {member.billingMemberId !== member.id && <p className="muted">Charges go to the family lead.</p>}
    </section>
  );
}
