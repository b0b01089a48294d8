/** The site's active alerts, most severe and then oldest first; new ones announced as they come. */
import type { Alert } from '@carecircle/protocol';
import { useTranslation } from 'react-i18next';
import { useNow } from '../state/useNow';
import { AlertItem } from './AlertItem';
import { alertSubject } from './alertSubject';
import { Icon } from './Icon';

interface Props {
  alerts: readonly Alert[];
  highlighted: ReadonlySet<string>;
  loaded: boolean;
  lastRaised: Alert | null;
  timeZone: string | undefined;
  onAcknowledge(alertId: string): Promise<void>;
  onResolve(alert: Alert): void;
  /** Whether the user may acknowledge and resolve (families may not). */
  canAct: boolean;
}

export function AlertQueue({
  alerts,
  highlighted,
  loaded,
  lastRaised,
  timeZone,
  onAcknowledge,
  onResolve,
  canAct,
}: Props) {
  const { t } = useTranslation();
  // Every second: ages count up, and an unclaimed alert turns amber, then red, on time.
  const now = useNow(1000);
  return (
    <section className="panel queue" aria-labelledby="queue-title" data-testid="alert-queue" id="alert-queue">
      <header className="panel__header">
        <h2 id="queue-title">{t('queue.title')}</h2>
        {alerts.length > 0 && <span className="badge badge--total">{t('queue.count', { count: alerts.length })}</span>}
      </header>
      {/* Announces arrivals to screen readers; the highlight does it for the eyes. */}
      <p className="visually-hidden" aria-live="assertive">
        {lastRaised === null
          ? ''
          : t('queue.announceRaised', { kind: t(`alertKind.${lastRaised.kind}`), who: alertSubject(t, lastRaised) })}
      </p>
      {loaded && alerts.length === 0 && (
        <div className="empty empty--calm">
          <Icon name="check" className="empty__icon" />
          <p>
            <strong>{t('queue.empty')}</strong>
          </p>
          <p className="muted">{t('queue.emptyHint')}</p>
        </div>
      )}
      <ul className="queue__list">
        {alerts.map((alert) => (
          <AlertItem
            key={alert.id}
            alert={alert}
            highlighted={highlighted.has(alert.id)}
            now={now}
            timeZone={timeZone}
            onAcknowledge={onAcknowledge}
            onResolve={onResolve}
            canAct={canAct}
          />
        ))}
      </ul>
    </section>
  );
}
