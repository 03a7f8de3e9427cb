import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { ApiError } from '../api/client';

/**
 * What went wrong, in the user's language: the server's own detail, which it writes in the language the app asks
 * for (every call sends the user's choice as Accept-Language). An answer that is not one of the server's problems
 * (a proxy's error page) and a server out of reach get the catalog's words.
 */
export function problemText(intl: IntlShape, err: unknown): string {
  if (!(err instanceof ApiError)) return intl.formatMessage({ id: 'problem.unreachable' });
  const { code, detail } = err.problem;
  return code !== 'unknown' && detail ? detail : intl.formatMessage({ id: 'problem.unknown' });
}

/** The field a problem's `errors[]` entry is about (`body.familyName` → `familyName`), with the server's words for it. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !err.problem.errors) return {};
  const out: Record<string, string> = {};
  for (const e of err.problem.errors) out[e.path.replace(/^(body|query|params)\.?/, '')] ??= e.message;
  return out;
}

/** A failed write or load, said once, as an alert. */
export function ProblemAlert({ error }: { error: unknown }) {
  const intl = useIntl();
  if (!error) return null;
  return <p role="alert" className="error">{problemText(intl, error)}</p>;
}

/** Grey bars where the data will be, announced as loading. */
export function Skeleton({ rows = 3 }: { rows?: number }) {
  const intl = useIntl();
  return (
    <div className="skeleton" role="status" aria-label={intl.formatMessage({ id: 'common.loading' })}>
      {Array.from({ length: rows }, (_, i) => <div key={i} className="skeleton-bar" />)}
    </div>
  );
}

/** A load that failed: why, and a button that tries again. */
export function ErrorState({ error, retry }: { error: unknown; retry: () => void }) {
  const intl = useIntl();
  return (
    <div className="error-state" role="alert">
      <p>{problemText(intl, error)}</p>
      <button type="button" className="secondary" onClick={retry}><FormattedMessage id="common.retry" /></button>
    </div>
  );
}

/** Nothing here yet, and what to do about it. */
export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="empty muted">{children}</p>;
}

/**
 * A query's three states in one place: a skeleton while loading (never "not found" before the answer), the error
 * with Retry, then the data. Data already shown stays while it is refetched.
 */
export function QueryView<T>({ query, rows, children }: { query: UseQueryResult<T, unknown>; rows?: number; children: (data: T) => ReactNode }) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.isError) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  return <Skeleton rows={rows} />;
}
