import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type ChangeEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { api, ApiError, useApiAction } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { IMPORT_FIELDS, type ImportField } from '../../../../src/modules/members/members.schemas';
import { Table } from '../../ui';
import { PageTitle } from '../../ui/page';
import { fieldErrors, ProblemAlert } from '../../ui/states';

type Body = BodyOf<'/api/members/import', 'post'>;
type Result = ResponseOf<'/api/members/import', 'post'>;
type Mapping = NonNullable<Body['mapping']>;

/** The file as base64, read in the browser: the server decodes it (UTF-8 or Shift_JIS) as it was saved. */
async function toBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Members from the studio's previous system or spreadsheet: choose the CSV file, check what the import will do
 * (the server's own dry run, with each bad row's problem), adjust which column holds what, then import. The
 * rows with errors are left out; importing the same file again adds nobody twice, so a corrected file can follow.
 */
export function ImportMembers() {
  const intl = useIntl();
  const [file, setFile] = useState<{ name: string; base64: string } | null>(null);
  const [mapping, setMapping] = useState<Mapping | undefined>(undefined);
  const [headers, setHeaders] = useState<string[]>([]);
  const [checked, setChecked] = useState<{ body: string; result: Result } | null>(null);
  const [done, setDone] = useState<Result | null>(null);
  const action = useApiAction();
  const body: Body | null = file ? { file: file.base64, ...(mapping ? { mapping } : {}) } : null;
  const bodyJson = body ? JSON.stringify(body) : '';

  // The file now chosen: a check of an earlier file that answers late is not shown.
  const latest = useRef<string | null>(null);
  const chosenFile = useRef<File | null>(null);
  const resultHeading = useRef<HTMLHeadingElement>(null);
  const ids = useId();
  const check = useMutation({
    mutationFn: async (sent: Body) => (await api.POST('/api/members/import/preview', { body: sent })).data!,
    onSuccess: (result, sent) => {
      if (sent.file !== latest.current) return;
      setHeaders(result.headers);
      setMapping(result.mapping);
      // The mapping recognised is now the one chosen: the check stands for the body that will be sent.
      setChecked({ body: JSON.stringify({ ...sent, mapping: result.mapping }), result });
    },
    onError: (error, sent) => {
      // A file whose columns were not recognised: its headers come with the refusal, to choose from.
      if (sent.file === latest.current && error instanceof ApiError && error.problem.headers) {
        setHeaders(error.problem.headers);
        setMapping((m) => m ?? (error.problem.mapping as Mapping | undefined) ?? {});
      }
    },
  });

  async function choose(e: ChangeEvent<HTMLInputElement>) {
    const chosen = e.target.files?.[0];
    setChecked(null);
    setDone(null);
    setHeaders([]);
    setMapping(undefined);
    action.reset();
    check.reset();
    latest.current = null;
    chosenFile.current = chosen ?? null;
    if (!chosen) return setFile(null);
    // Emptied, so that choosing the same file again (corrected) is a change too.
    e.target.value = '';
    const next = { name: chosen.name, base64: await toBase64(chosen) };
    // Another file chosen while this one was read: that one is the file now.
    if (chosenFile.current !== chosen) return;
    latest.current = next.base64;
    setFile(next);
    check.mutate({ file: next.base64 });
  }

  function pick(field: ImportField, header: string) {
    const next: Mapping = { ...mapping };
    if (header === '') delete next[field];
    else next[field] = header;
    setMapping(next);
    // A column changed after an import: the file can be checked, and imported, again.
    setDone(null);
  }

  async function importNow() {
    if (!body) return;
    const result = await action.run(`import:${bodyJson}`, (key) => api.POST('/api/members/import', { body, headers: { 'idempotency-key': key } }));
    if (result) {
      setDone(result);
      setChecked(null);
    }
  }

  const current = checked !== null && checked.body === bodyJson ? checked.result : null;
  // The answer is said where the person is: focus moves to its heading (the buttons that asked are gone).
  useEffect(() => {
    if (current || done) resultHeading.current?.focus();
  }, [current, done]);
  const refused = fieldErrors(check.error);
  const title = intl.formatMessage({ id: 'members.import.title' });
  const errorHead = ['row', 'column', 'value', 'message'].map((c) => intl.formatMessage({ id: `members.import.errors.${c}` }));

  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <p><Link to="/"><FormattedMessage id="members.import.back" /></Link></p>
      <p className="muted"><FormattedMessage id="members.import.intro" /></p>
      <label>
        <span><FormattedMessage id="members.import.file" /></span>
        <input type="file" accept=".csv,.tsv,.txt,text/csv" onChange={(e) => void choose(e)} />
      </label>
      {file && <p><FormattedMessage id="members.import.chosen" values={{ file: file.name }} /></p>}

      {headers.length > 0 && (
        <fieldset className="mapping">
          <legend><FormattedMessage id="members.import.columns" /></legend>
          {IMPORT_FIELDS.map((field) => {
            const error = refused[`mapping.${field}`];
            const errorId = `${ids}-${field}-error`;
            return (
              <label key={field}>
                <span><FormattedMessage id={`members.import.field.${field}`} /></span>
                <select
                  value={mapping?.[field] ?? ''}
                  disabled={check.isPending || action.busy}
                  onChange={(e) => pick(field, e.target.value)}
                  {...(error ? { 'aria-invalid': true, 'aria-describedby': errorId } : {})}
                >
                  <option value=""><FormattedMessage id="members.import.notInFile" /></option>
                  {headers.map((h, i) => <option key={`${i}:${h}`} value={h}>{h}</option>)}
                </select>
                {error && <span id={errorId} className="error small">{error}</span>}
              </label>
            );
          })}
        </fieldset>
      )}

      {body && !current && !done && (
        <button type="button" disabled={check.isPending || action.busy} onClick={() => check.mutate(body)}>
          <FormattedMessage id="members.import.check" />
        </button>
      )}
      <ProblemAlert error={check.error ?? action.error} />
      {/* One live region, there from the start, so that what it says is announced. */}
      <p role="status" className={check.isPending || action.busy ? undefined : 'visually-hidden'}>
        {check.isPending && <FormattedMessage id="members.import.checking" values={{ file: file?.name ?? '' }} />}
        {action.busy && <FormattedMessage id="members.import.importing" />}
        {done && !action.busy && <FormattedMessage id="members.import.doneHeading" />}
      </p>

      {current && (
        <div className="preview" role="region" aria-label={intl.formatMessage({ id: 'members.import.checkRegion' })}>
          <h2 ref={resultHeading} tabIndex={-1}><FormattedMessage id="members.import.checkHeading" /></h2>
          <Summary result={current} />
          {current.created > 0 && (
            <button type="button" disabled={action.busy} onClick={() => void importNow()}>
              <FormattedMessage id="members.import.submit" values={{ count: current.created }} />
            </button>
          )}
          {current.errors.length > 0 && (
            <Table head={errorHead} caption={intl.formatMessage({ id: 'members.import.errors.caption' })}>
              {current.errors.map((e, i) => (
                <tr key={`${e.row}-${i}`}>
                  <td>{e.row}</td>
                  <td>{e.column ?? ''}</td>
                  <td>{e.value}</td>
                  <td>{e.message}</td>
                </tr>
              ))}
            </Table>
          )}
        </div>
      )}

      {done && (
        <div className="preview">
          <h2 ref={resultHeading} tabIndex={-1}><FormattedMessage id="members.import.doneHeading" /></h2>
          <Summary result={done} />
          <p><Link to="/"><FormattedMessage id="members.import.toMembers" /></Link></p>
        </div>
      )}
    </section>
  );
}

function Summary({ result }: { result: Result }) {
  const intl = useIntl();
  const encoding = intl.formatMessage({ id: `members.import.encoding.${result.encoding}` });
  return (
    <ul>
      <li><FormattedMessage id="members.import.summary.rows" values={{ rows: result.rows, encoding }} /></li>
      <li><FormattedMessage id="members.import.summary.created" values={{ count: result.created, first: result.memberNumbers?.first ?? 0, last: result.memberNumbers?.last ?? 0 }} /></li>
      <li><FormattedMessage id="members.import.summary.credits" values={{ count: result.creditsGranted }} /></li>
      <li><FormattedMessage id="members.import.summary.already" values={{ count: result.alreadyImported }} /></li>
      <li><FormattedMessage id="members.import.summary.failed" values={{ count: result.failedRows }} /></li>
    </ul>
  );
}
