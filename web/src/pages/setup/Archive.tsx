import { useIntl } from 'react-intl';
import { ActionFlow } from '../../ui/action-flow';
import { useToast } from '../../ui/toast';

/**
 * Archives a location, room, instructor or lesson type (PATCH `archived: true`), after asking: the screens have no
 * way back, and the server refuses what is still in use in its own words. `path` is written out by the caller.
 */
export function ArchiveButton({ name, path, onDone }: { name: string; path: string; onDone: () => void }) {
  const intl = useIntl();
  const toast = useToast();
  return (
    <ActionFlow
      compact
      label={intl.formatMessage({ id: 'setup.archive.label' }, { name })}
      method="PATCH"
      path={path}
      body={{ archived: true }}
      confirmLabel={intl.formatMessage({ id: 'setup.archive.button' })}
      ask={{ text: intl.formatMessage({ id: 'setup.archive.ask' }, { name }), confirmLabel: intl.formatMessage({ id: 'setup.archive.confirm' }) }}
      onDone={() => {
        toast(intl.formatMessage({ id: 'setup.archive.done' }, { name }));
        onDone();
      }}
    />
  );
}
