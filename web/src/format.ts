import { useMemo } from 'react';
import { useIntl } from 'react-intl';
import { formatters } from './formatters';
import { useStudio } from './studio';

/**
 * Dates, times, money and phone numbers, written the way the language in use writes them and always in the
 * studio's time zone (whatever the phone or desk computer says): 2026年12月5日(土), 12月5日(土) 10:00, ¥8,800,
 * 090-1234-5678. Calendar days (YYYY-MM-DD) are shown as that day, with no time zone shift.
 */
export function useFormat() {
  const intl = useIntl();
  const { timezone } = useStudio();
  return useMemo(() => formatters(intl.locale, timezone), [intl.locale, timezone]);
}

export { addDays, formatBytes, formatMoney, minorDigits, mondayOf, toMinor, type Format } from './formatters';
