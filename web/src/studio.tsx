import { createContext, useContext } from 'react';
import type { paths } from './api/schema';

/** The studio at this address (GET /api/tenant): its name and time zone, known before any screen renders. */
export type Studio = paths['/api/tenant']['get']['responses'][200]['content']['application/json'];

export const StudioContext = createContext<Studio | null>(null);

export function useStudio(): Studio {
  const studio = useContext(StudioContext);
  if (!studio) throw new Error('useStudio outside StudioContext');
  return studio;
}
