import { FormattedMessage, useIntl } from 'react-intl';
import { Navigate, NavLink, Route, Routes } from 'react-router';
import { can, useStaffMe } from '../../staff/StaffApp';
import { PageTitle } from '../../ui/page';
import { BookingSettings } from './BookingSettings';
import { Checklist } from './Checklist';
import { Instructors } from './Instructors';
import { LessonTypes } from './LessonTypes';
import { Locations } from './Locations';
import { MessagesSettings } from './Messages';
import { Rooms } from './Rooms';

const parts: Array<[string, string]> = [
  ['locations', 'setup.tab.locations'],
  ['rooms', 'setup.tab.rooms'],
  ['instructors', 'setup.tab.instructors'],
  ['lesson-types', 'setup.tab.lessonTypes'],
  ['booking', 'setup.tab.booking'],
  ['messages', 'mail.tab'],
];

/** Studio set-up: the checklist, then locations, rooms and seat maps, instructors, lesson types and booking rules. */
export function Setup() {
  const intl = useIntl();
  const me = useStaffMe();
  const title = intl.formatMessage({ id: 'setup.title' });
  if (!can.manage(me.role)) {
    return (
      <>
        <PageTitle title={title}>{title}</PageTitle>
        <p className="muted"><FormattedMessage id="setup.managersOnly" /></p>
      </>
    );
  }
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      <Checklist />
      <nav className="tabs" aria-label={intl.formatMessage({ id: 'setup.tab.label' })} style={{ flexWrap: 'wrap' }}>
        {parts.map(([to, id]) => (
          <NavLink key={to} to={`/setup/${to}`} className={({ isActive }) => (isActive ? 'tab active' : 'tab')}>
            <FormattedMessage id={id} />
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to="/setup/locations" replace />} />
        <Route path="locations" element={<Locations />} />
        <Route path="rooms" element={<Rooms />} />
        <Route path="instructors" element={<Instructors />} />
        <Route path="lesson-types" element={<LessonTypes />} />
        <Route path="booking" element={<BookingSettings />} />
        <Route path="messages" element={<MessagesSettings />} />
      </Routes>
    </>
  );
}
