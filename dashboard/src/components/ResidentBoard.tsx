/** Every resident of the site, in room order, so a tile stays where staff expect to find it. */
import type { Resident } from '@carecircle/protocol';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ResidentTile } from './ResidentTile';

interface Props {
  residents: readonly Resident[];
  loaded: boolean;
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

export function ResidentBoard({ residents, loaded }: Props) {
  const { t } = useTranslation();
  const sorted = useMemo(() => [...residents].sort(compareResidents), [residents]);
  const counts = { ok: 0, alert: 0, device_problem: 0 };
  for (const r of residents) counts[r.status] += 1;

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
          <ResidentTile key={resident.id} resident={resident} />
        ))}
      </ul>
    </section>
  );
}
