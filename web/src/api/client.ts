import { QueryClient, useMutation, useQueryClient } from '@tanstack/react-query';
import createFetchClient, { type Middleware } from 'openapi-fetch';
import createQueryClient from 'openapi-react-query';
import { useRef } from 'react';
import type { paths } from './schema';

/**
 * The studio's JSON API, typed from the server's own OpenAPI document (`npm run gen:api` writes ./schema.d.ts;
 * the tests fail when it is out of date). `api.GET('/api/members/{memberId}', …)` for a one-off call,
 * `$api.useQuery('get', …)` for data a screen shows, `useApiAction` for writes.
 *
 * Sessions are HttpOnly cookies set by the server at sign-in (one for staff, one for members), which no script
 * here can read. Every call says it comes from the app (the CSRF header the server wants on cookie-signed
 * writes) and which language to answer in.
 */
const CSRF_HEADER = 'x-studiohive-csrf';

// Sessions were once kept in localStorage; none is left there for a script to find.
for (const legacy of ['studiohive.session', 'studiohive.memberSession']) localStorage.removeItem(legacy);

export type Realm = 'staff' | 'member';

/** An RFC 9457 problem, as every error of the API is written. */
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  /** Why a 422 refused (`not_billing_account`, `no_card`…). */
  reason?: string;
  errors?: Array<{ location: string; path: string; message: string }>;
  /** A member import whose columns were not recognised: the file's headers, to choose from. */
  headers?: string[];
  /** …and the columns it did recognise. */
  mapping?: Record<string, string>;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

/** The answer of a route that needs a session, when there is none (or it has expired): time to sign in. */
export const isSignedOut = (err: unknown) => err instanceof ApiError && err.problem.status === 401;

/** The language the server should answer problems in; set by the i18n provider. */
let language = 'ja';
export const setApiLanguage = (locale: string) => {
  language = locale;
};

const fromTheApp: Middleware = {
  onRequest({ request }) {
    request.headers.set(CSRF_HEADER, '1');
    request.headers.set('accept-language', language);
    return request;
  },
  async onResponse({ response }) {
    if (response.ok) return response;
    const body = (await response.clone().json().catch(() => ({}))) as Partial<Problem>;
    throw new ApiError({ status: response.status, code: 'unknown', title: response.statusText, detail: '', ...body });
  },
};

export const api = createFetchClient<paths>({ baseUrl: location.origin });
api.use(fromTheApp);
export const $api = createQueryClient(api);

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) will not change on a retry; an unreachable studio might.
      retry: (count, err) => count < 2 && !(err instanceof ApiError && err.problem.status < 500),
      staleTime: 10_000,
    },
  },
});

/**
 * A fresh Idempotency-Key. crypto.randomUUID exists only in secure contexts (https, localhost); a studio opened
 * over plain http elsewhere gets the same random version-4 UUID from getRandomValues.
 */
export function newActionKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * One kind of write on a screen (book, cancel, sell…). Each user action is sent with one Idempotency-Key; when the
 * same action (the same name) is tried again after the studio could not be reached or answered 5xx, the same key
 * goes again, so it is done at most once. A definite answer ends the action: the next try gets a new key. After
 * any success every query is refetched, so no screen shows data from before the write.
 *
 * `run(action, (key) => api.POST(..., { headers: { 'idempotency-key': key } }))` resolves to the data, or to
 * null when it failed (`error` then says why).
 */
export function useApiAction() {
  const client = useQueryClient();
  const pending = useRef<{ action: string; key: string } | null>(null);
  const mutation = useMutation({
    mutationFn: async ({ action, work }: { action: string; work: (key: string) => Promise<{ data?: unknown }> }) => {
      if (pending.current?.action !== action) pending.current = { action, key: newActionKey() };
      try {
        const result = await work(pending.current.key);
        pending.current = null;
        return result.data;
      } catch (err) {
        if (err instanceof ApiError && err.problem.status < 500) pending.current = null;
        throw err;
      }
    },
    onSuccess: () => client.invalidateQueries(),
  });
  async function run<T>(action: string, work: (key: string) => Promise<{ data?: T }>): Promise<T | null> {
    try {
      return (await mutation.mutateAsync({ action, work })) as T;
    } catch {
      return null;
    }
  }
  return { run, busy: mutation.isPending, error: mutation.error, reset: mutation.reset };
}

/**
 * A file of the API (a PDF, a CSV export), fetched with the session cookie in the language in use; a file that
 * is made on request (the studio's archive) is a POST, with the header that shows it comes from this app.
 */
export async function fetchFile(path: string, accept: string, method: 'GET' | 'POST' = 'GET'): Promise<Blob> {
  const headers: Record<string, string> = { accept: `${accept}, application/problem+json`, 'accept-language': language };
  if (method !== 'GET') headers[CSRF_HEADER] = '1';
  const res = await fetch(path, { method, headers });
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    throw new ApiError({ status: res.status, code: 'unknown', title: res.statusText, detail: '', ...data });
  }
  return res.blob();
}

/** Saves a file the app holds under `filename` (the browser's download). */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  Object.assign(document.createElement('a'), { href: url, download: filename }).click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Opens a document (a PDF) of the API in a new tab; where pop-ups are blocked it is downloaded instead. */
export async function openDocument(path: string, filename: string): Promise<void> {
  const blob = await fetchFile(path, 'application/pdf');
  const url = URL.createObjectURL(blob);
  if (window.open(url, '_blank')) setTimeout(() => URL.revokeObjectURL(url), 60_000);
  else {
    URL.revokeObjectURL(url);
    saveFile(blob, filename);
  }
}
