import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { ApiError } from '../api/client';
import { currentMessages } from '../i18n/i18n';

/**
 * What went wrong, in the user's language. The server's own detail is the most precise, but it is written in
 * English; in English it is shown as it is. In Japanese the catalog's text for the refusal's reason
 * (`problem.reason.<reason>`) is shown, else its code's (`problem.<code>`), so no English reaches a Japanese
 * screen.
 */
export function problemText(intl: IntlShape, err: unknown): string {
  if (!(err instanceof ApiError)) return intl.formatMessage({ id: 'problem.unreachable' });
  const { code, reason, detail, title } = err.problem;
  if (intl.locale === 'en' && (detail || title)) return detail || title;
  for (const id of [reason && `problem.reason.${reason}`, `problem.${code}`]) {
    if (id && intl.messages[id]) return intl.formatMessage({ id });
  }
  return intl.formatMessage({ id: 'problem.unknown' });
}

/**
 * The field a problem's `errors[]` entry is about (`body.familyName` → `familyName`), with its message: the
 * server's own words in English, and in Japanese the catalog's note (the server writes its checks in English).
 */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !err.problem.errors) return {};
  const { locale, messages } = currentMessages();
  const out: Record<string, string> = {};
  for (const e of err.problem.errors) {
    const field = e.path.replace(/^(body|query|params)\.?/, '');
    out[field] ??= locale === 'en' ? e.message : (messages['problem.field'] ?? e.message);
  }
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
