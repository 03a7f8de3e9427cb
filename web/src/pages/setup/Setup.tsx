import { FormattedMessage } from 'react-intl';

/** Studio set-up: locations, rooms and seat maps, instructors, lesson types and booking rules (routes below /setup). */
export function Setup() {
  return <h1><FormattedMessage id="setup.title" /></h1>;
}
