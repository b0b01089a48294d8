/** Every resident of the site, in room order, so a tile stays where staff expect to find it. */
import type { Resident, ResidentCare } from '@carecircle/protocol';
import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ResidentCareDialog } from './ResidentCareDialog';
import { ResidentTile } from './ResidentTile';

interface Props {
  residents: readonly Resident[];
  loaded: boolean;
  /** Staff, supervisors and admins: each tile offers the resident's care settings. */
  canEditCare?: boolean;
}

const byRoom = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compareResidents(a: Resident, b: Resident): number {
  if (a.room !== b.room) {
    if (a.room === null) return 1;
    if (b.room === null) return -1;
    return byRoom.compare(a.room, b.room);
  }
  return byRoom.compare(a.name, b.name) || a.id.localeCompare(b.id);
}

interface Editing {
  resident: Resident;
  opener: HTMLElement;
}

export function ResidentBoard({ residents, loaded, canEditCare = false }: Props) {
  const { t } = useTranslation();
  const sorted = useMemo(() => [...residents].sort(compareResidents), [residents]);
  const counts = { ok: 0, alert: 0, device_problem: 0 };
  for (const r of residents) counts[r.status] += 1;
  const [editing, setEditing] = useState<Editing | null>(null);
  // The resident list carries no care profile: the badges show what this page last loaded or saved.
  const [careById, setCareById] = useState<ReadonlyMap<string, ResidentCare>>(new Map());

  const openCare = useCallback((resident: Resident, opener: HTMLElement) => setEditing({ resident, opener }), []);
  const closeCare = useCallback(() => setEditing(null), []);
  const rememberCare = useCallback(
    (residentId: string, care: ResidentCare) => setCareById((m) => new Map(m).set(residentId, care)),
    [],
  );

  return (
    <section className="panel residents" aria-labelledby="residents-title">
      <header className="panel__header">
        <h2 id="residents-title">{t('board.title')}</h2>
        {residents.length > 0 && (
          <p className="panel__meta">
            {t('board.summary', { ok: counts.ok, alert: counts.alert, device: counts.device_problem })}
          </p>
        )}
      </header>
      {loaded && residents.length === 0 && <p className="empty">{t('board.empty')}</p>}
      <ul className="tiles">
        {sorted.map((resident) => (
          <ResidentTile
            key={resident.id}
            resident={resident}
            canEditCare={canEditCare}
            care={careById.get(resident.id) ?? resident}
            onEditCare={openCare}
          />
        ))}
      </ul>
      {canEditCare && editing !== null && (
        <ResidentCareDialog
          key={editing.resident.id}
          resident={residents.find((r) => r.id === editing.resident.id) ?? editing.resident}
          returnFocusTo={editing.opener}
          onCare={rememberCare}
          onClose={closeCare}
        />
      )}
    </section>
  );
}
