import { FormattedMessage } from 'react-intl';

/** Plan a one-off lesson or a weekly series. */
export function NewLesson() {
  return <h1><FormattedMessage id="lessonForms.title" /></h1>;
}
