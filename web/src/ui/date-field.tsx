import { parseDate } from '@internationalized/date';
import {
  Button,
  Calendar,
  CalendarCell,
  CalendarGrid,
  DateInput,
  DatePicker,
  DateSegment,
  Dialog,
  Group,
  Heading,
  I18nProvider,
  Label,
  Popover,
} from 'react-aria-components';
import { useIntl } from 'react-intl';

/**
 * A calendar date (`2026-12-05`, or '' for none), typed or picked from a calendar: React Aria's date picker, in
 * the user's language (年/月/日 in Japanese order, a Japanese calendar grid; month/day/year in English). Its
 * segments, calendar button and month buttons are labelled by React Aria in that language, and every part works
 * by keyboard.
 */
export function DateField({ label, value, onChange, isRequired }: { label: string; value: string; onChange: (isoDate: string) => void; isRequired?: boolean }) {
  const intl = useIntl();
  return (
    <I18nProvider locale={intl.locale === 'ja' ? 'ja-JP' : 'en-US'}>
      <DatePicker className="date-field" value={value ? parseDate(value) : null} onChange={(d) => onChange(d ? d.toString() : '')} isRequired={isRequired}>
        <Label>{label}</Label>
        <Group className="date-group">
          <DateInput className="date-input">{(segment) => <DateSegment className="date-segment" segment={segment} />}</DateInput>
          <Button className="date-button secondary">▾</Button>
        </Group>
        <Popover className="date-popover">
          <Dialog className="date-dialog">
            <Calendar className="date-calendar">
              <header>
                <Button slot="previous" className="secondary">◀</Button>
                <Heading />
                <Button slot="next" className="secondary">▶</Button>
              </header>
              <CalendarGrid>{(date) => <CalendarCell className="date-cell" date={date} />}</CalendarGrid>
            </Calendar>
          </Dialog>
        </Popover>
      </DatePicker>
    </I18nProvider>
  );
}
