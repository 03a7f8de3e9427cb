import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { useIntl } from 'react-intl';

interface Toast {
  id: number;
  text: string;
}
const ToastContext = createContext<(text: string) => void>(() => undefined);

/** `const toast = useToast(); toast(intl.formatMessage({ id: '…' }))`: a short confirmation of a write. */
export const useToast = () => useContext(ToastContext);

/** Confirmations of writes, shown for a few seconds in a polite live region (read out, never stealing focus). */
export function Toaster({ children }: { children: ReactNode }) {
  const intl = useIntl();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (text: string) => {
      const id = next.current++;
      setToasts((all) => [...all.slice(-2), { id, text }]);
      setTimeout(() => dismiss(id), 6000);
    },
    [dismiss],
  );
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className="toast">
            <span>{t.text}</span>
            <button type="button" className="link" aria-label={intl.formatMessage({ id: 'common.dismiss' })} onClick={() => dismiss(t.id)}>×</button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
