import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { fetchFile, saveFile } from '../api/client';
import { useFormat } from '../format';
import { useStudio } from '../studio';
import { ProblemAlert } from '../ui/states';

/**
 * The owner takes the studio's data out: one zip with a file per table, the invoices' PDFs and a manifest (the
 * same archive as the operators' `studiohive tenants export`). Made on request, so it is a POST; the server
 * allows one per 10 minutes and records each in the audit log.
 */
export function StudioArchive() {
  const intl = useIntl();
  const f = useFormat();
  const studio = useStudio();
  const [saved, setSaved] = useState<string | null>(null);
  const download = useMutation({
    mutationFn: async () => {
      const filename = `${studio.slug}-${f.dayOf(new Date())}.zip`;
      saveFile(await fetchFile('/api/settings/archive', 'application/zip', 'POST'), filename);
      setSaved(filename);
    },
  });
  return (
    <section aria-labelledby="studio-archive">
      <h2 id="studio-archive"><FormattedMessage id="settings.archive.title" /></h2>
      <p className="muted"><FormattedMessage id="settings.archive.hint" /></p>
      <p className="muted"><FormattedMessage id="settings.archive.secrets" /></p>
      <button type="button" onClick={() => { setSaved(null); download.mutate(); }} disabled={download.isPending} aria-describedby="studio-archive-status">
        {intl.formatMessage({ id: download.isPending ? 'settings.archive.busy' : 'settings.archive.button' })}
      </button>
      <p id="studio-archive-status" role="status">{saved && <FormattedMessage id="settings.archive.done" values={{ filename: saved }} />}</p>
      <ProblemAlert error={download.error} />
    </section>
  );
}
