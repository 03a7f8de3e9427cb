import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { FormattedMessage, useIntl } from 'react-intl';
import * as client from '../api/client';
import { fieldErrors, ProblemAlert } from './states';

interface ActionFlowProps<R> {
  /** A heading above the form; it also names the form, unless `label` does. */
  title?: string;
  /** Names the form for assistive technology and tests. */
  label?: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** The request, as the fields now say; a change after a preview asks for a new preview. */
  body?: object;
  /**
   * Given: the action is previewed first (at `preview.path`, nothing written) and shown with `preview.show`. The
   * path is written out in full, as every API path in the app is, so the route-coverage test can find it.
   */
  preview?: { path: string; show: (result: R) => ReactNode };
  /**
   * Given (and no preview): the action asks before it goes. The submit shows `text` (what will happen) with a
   * second button, `confirmLabel` ("Confirm refund"), which does it; a change of the fields asks again.
   */
  ask?: { text: ReactNode; confirmLabel: string };
  confirmLabel: string;
  onDone: (result: R) => void;
  onClose?: () => void;
  /** A lone button (withdrawals), without the fields' spacing. */
  compact?: boolean;
  /** The fields; given as a function, they get the refused fields' messages (`fieldErrors`) to show beside them. */
  children?: ReactNode | ((errors: Record<string, string>) => ReactNode);
}

/** The typed client called with a path made at run time (`/api/invoices/<id>/refunds`). */
type Send = (method: string, url: string, init?: { body?: unknown; headers?: Record<string, string> }) => Promise<{ data?: unknown }>;
const send = client.api.request as unknown as Send;

/**
 * One staff action: fill in → Preview (what the API would do, exactly) → Confirm (the same body). Each
 * confirmation is one action with one Idempotency-Key, sent again if the same action is retried (after a
 * timeout or a refusal), so it is done at most once; a changed request is a new action. (Routes that take no
 * key, such as plan edits, ignore it.) The owner of the fields resets them by giving the form a new React key.
 */
export function ActionFlow<R>({ title, label = title, method, path, body, preview, ask, confirmLabel, onDone, onClose, compact, children }: ActionFlowProps<R>) {
  const intl = useIntl();
  const json = JSON.stringify(body) ?? '';
  const [shown, setShown] = useState<{ json: string; result: R } | null>(null);
  const [asked, setAsked] = useState<string | null>(null);
  const action = client.useApiAction();
  const previewing = useMutation({
    mutationFn: async (forJson: string) => ({ json: forJson, result: (await send(method, preview!.path, { body })).data as R }),
    onSuccess: (result) => setShown(result),
  });
  const busy = action.busy || previewing.isPending;
  const error = action.error ?? previewing.error;
  const name = label ?? confirmLabel;

  async function confirm() {
    previewing.reset();
    const result = await action.run(`${method} ${path} ${json}`, (key) => send(method, path, { body, headers: { 'idempotency-key': key } }));
    if (result === null) return;
    setShown(null);
    setAsked(null);
    onDone(result as R);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (preview) {
      action.reset();
      previewing.mutate(json);
    } else if (ask) {
      action.reset();
      setAsked(json);
    } else {
      void confirm();
    }
  }

  return (
    <div className="action">
      {title && <h3>{title}</h3>}
      <form className={compact ? 'inline compact' : 'inline'} aria-label={label} onSubmit={submit}>
        {typeof children === 'function' ? children(fieldErrors(error)) : children}
        <button type="submit" className={compact ? 'secondary' : undefined} disabled={busy}>
          {preview ? intl.formatMessage({ id: 'common.preview' }) : confirmLabel}
        </button>
        {onClose && <button type="button" className="secondary" onClick={onClose}><FormattedMessage id="common.close" /></button>}
      </form>
      <ProblemAlert error={error} />
      {preview && shown !== null && shown.json === json && (
        <div className="preview" role="region" aria-label={intl.formatMessage({ id: 'ui.action.previewRegion' }, { label: name })}>
          <h4><FormattedMessage id="common.previewHeading" /></h4>
          {preview.show(shown.result)}
          <button type="button" disabled={busy} onClick={() => void confirm()}>{confirmLabel}</button>
        </div>
      )}
      {!preview && ask && (
        // A modal alert dialog (React Aria): focus moves into it and stays there, Escape or "Not now" closes it, and
        // focus then returns to the button that asked. A refusal of the confirmed action is said inside it.
        <ModalOverlay className="modal-overlay" isDismissable={!busy} isOpen={asked === json} onOpenChange={(open) => !open && setAsked(null)}>
          <Modal className="modal">
            <Dialog role="alertdialog" className="confirm" aria-label={intl.formatMessage({ id: 'ui.action.askRegion' }, { label: name })}>
              <Heading slot="title">{name}</Heading>
              <p>{ask.text}</p>
              <ProblemAlert error={action.error} />
              <div className="actions">
                <button type="button" disabled={busy} onClick={() => void confirm()}>{ask.confirmLabel}</button>
                <button type="button" className="secondary" disabled={busy} autoFocus onClick={() => setAsked(null)}><FormattedMessage id="ui.action.notNow" /></button>
              </div>
            </Dialog>
          </Modal>
        </ModalOverlay>
      )}
    </div>
  );
}
