/** The JSON API of the studio at this address, with the staff session kept in this browser. */
const SESSION_KEY = 'studiohive.session';

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: Array<{ location: string; path: string; message: string }>;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

export const session = {
  get: () => localStorage.getItem(SESSION_KEY),
  set: (token: string) => localStorage.setItem(SESSION_KEY, token),
  clear: () => localStorage.removeItem(SESSION_KEY),
};

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = session.get();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204 || res.status === 202) return undefined as T;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401 && token) session.clear();
    throw new ApiError({ status: res.status, code: 'unknown', title: res.statusText, detail: '', ...data });
  }
  return data as T;
}

export interface Tenant {
  id: string;
  slug: string;
  displayName: string;
  timezone: string;
}

export type Role = 'owner' | 'manager' | 'front_desk' | 'instructor';

export interface Staff {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: 'active' | 'disabled';
  createdAt: string;
}

export const roleLabel: Record<Role, string> = {
  owner: 'Owner',
  manager: 'Manager',
  front_desk: 'Front desk',
  instructor: 'Instructor',
};

export interface MemberSummary {
  id: string;
  memberNumber: number;
  familyName: string;
  givenName: string;
  familyNameKana: string;
  givenNameKana: string;
  email: string | null;
  phone: string | null;
  tags: string[];
  familyLeadId: string | null;
}

export interface Member extends MemberSummary {
  birthDate: string | null;
  staffNotes: string;
  termsVersion: string | null;
  termsAcceptedAt: string | null;
  billingMemberId: string;
  family: Array<{ id: string; memberNumber: number; familyName: string; givenName: string }>;
}
