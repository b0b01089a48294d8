/**
 * Today's closed alerts (site zone), newest first: what happened, to whom, how it ended and the
 * note left for the next shift, with the full timeline on request. Nothing vanishes from the
 * board when it is resolved; it moves here until the day ends.
 */
import type { Alert } from '@carecircle/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatAbsolute, startOfDay } from '../format/time';
import { currentLanguage } from '../i18n';
import { useNow } from '../state/useNow';
import { AlertTimeline } from './AlertTimeline';
import { alertSubject } from './alertSubject';

interface Props {
  closed: readonly Alert[];
  loaded: boolean;
  timeZone: string | undefined;
}

export function TodayHistory({ closed, loaded, timeZone }: Props) {
  const { t } = useTranslation();
  // A minute is fine here: it only moves entries out when the day rolls over.
  const now = useNow(60_000);
  const since = startOfDay(now, timeZone);
  const today = closed.filter((a) => Date.parse(a.resolvedAt ?? a.updatedAt) >= since);
  return (
    <section className="panel history" aria-labelledby="history-title" data-testid="history">
      <header className="panel__header">
        <h2 id="history-title">{t('history.title')}</h2>
        {today.length > 0 && <span className="badge badge--total">{t('history.count', { count: today.length })}</span>}
      </header>
      {loaded && today.length === 0 && <p className="empty">{t('history.empty')}</p>}
      <ul className="history__list">
        {today.map((alert) => (
          <HistoryEntry key={alert.id} alert={alert} now={now} timeZone={timeZone} />
        ))}
      </ul>
    </section>
  );
}

function HistoryEntry({ alert, now, timeZone }: { alert: Alert; now: number; timeZone: string | undefined }) {
  const { t, i18n } = useTranslation();
  const [expanded, setExpanded] = useState(false);
  const language = currentLanguage(i18n);
  const closedAt = alert.resolvedAt ?? alert.updatedAt;
  const timelineId = `history-timeline-${alert.id}`;
  return (
    <li
      className={`history-entry history-entry--${alert.category}`}
      data-testid="history-entry"
      data-alert-id={alert.id}
      data-kind={alert.kind}
      data-outcome={alert.outcome ?? ''}
    >
      <button
        type="button"
        className="history-entry__summary"
        aria-expanded={expanded}
        aria-controls={timelineId}
        onClick={() => setExpanded((e) => !e)}
      >
        <span className="history-entry__time">
          <time dateTime={closedAt}>{formatAbsolute(closedAt, language, timeZone)}</time>
        </span>
        <span className="history-entry__what">
          <strong>{t(`alertKind.${alert.kind}`)}</strong> · {alertSubject(t, alert)}
        </span>
        <span className="history-entry__outcome">
          {alert.state === 'cancelled' ? t('alertState.cancelled') : t('alertState.resolved')}
          {alert.outcome !== null && <> · {t(`outcome.${alert.outcome}`)}</>}
          {alert.acknowledgedBy !== null && <> · {t('queue.claimedBy', { name: alert.acknowledgedBy.name })}</>}
        </span>
        {alert.note !== null && alert.note !== '' && (
          <span className="history-entry__note" data-testid="history-note">
            {alert.note}
          </span>
        )}
        <span className="visually-hidden">{t('queue.details')}</span>
      </button>
      <div id={timelineId} hidden={!expanded}>
        {expanded && <AlertTimeline alertId={alert.id} version={alert.updatedAt} now={now} timeZone={timeZone} />}
      </div>
    </li>
  );
}
