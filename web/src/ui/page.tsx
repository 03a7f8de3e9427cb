import { useEffect, useRef, type ReactNode } from 'react';
import { useStudio } from '../studio';

/**
 * A screen's heading. It names the page (the browser tab says it too) and takes the focus when the screen is
 * opened, so a screen-reader or keyboard user starts at the top of what just appeared.
 */
export function PageTitle({ children, title, actions }: { children: ReactNode; title: string; actions?: ReactNode }) {
  const studio = useStudio();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · ${studio.displayName}`;
  }, [title, studio.displayName]);
  useEffect(() => {
    heading.current?.focus({ preventScroll: false });
  }, []);
  const h1 = <h1 ref={heading} tabIndex={-1}>{children}</h1>;
  return actions ? <div className="row">{h1}{actions}</div> : h1;
}
