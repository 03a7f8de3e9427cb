import { FormattedMessage } from 'react-intl';

/** The owner's dashboard: today, members, revenue. */
export function Dashboard() {
  return <h1><FormattedMessage id="reports.dashboard.title" /></h1>;
}

/** Reports with charts and CSV export (routes below /reports). */
export function Reports() {
  return <h1><FormattedMessage id="reports.title" /></h1>;
}
