/**
 * A list of active alerts, most severe, then unclaimed, then oldest first. The board shows two:
 * care alerts (a person needs someone) and device problems (a device needs an installer), so a
 * flat battery never sits between a nurse and an SOS.
 */
import type { Alert, Device, Site } from '@carecircle/protocol';
import { useTranslation } from 'react-i18next';
import { useNow } from '../state/useNow';
import { type AlertActions, AlertItem } from './AlertItem';
import { alertSubject } from './alertSubject';
import { Icon } from './Icon';

interface Props extends AlertActions {
  category: 'care' | 'technical';
  alerts: readonly Alert[];
  highlighted: ReadonlySet<string>;
  loaded: boolean;
  /** The most recent alert raised live, announced to screen readers (one queue announces). */
  lastRaised?: Alert | null;
  timeZone: string | undefined;
  devices: ReadonlyMap<string, Device>;
  /** On the all-sites view: each alert says its site. */
  sites?: readonly Site[];
}

export function AlertQueue(props: Props) {
  const { category, alerts, highlighted, loaded, lastRaised, timeZone, devices, sites, ...actions } = props;
  const { t } = useTranslation();
  // Every second: ages count up, and an unclaimed alert turns amber, then red, on time.
  const now = useNow(1000);
  const care = category === 'care';
  const id = care ? 'alert-queue' : 'device-queue';
  const siteName = (siteId: string) => sites?.find((s) => s.id === siteId)?.name ?? siteId;
  return (
    <section className={`panel queue queue--${category}`} aria-labelledby={`${id}-title`} data-testid={id} id={id}>
      <header className="panel__header">
        <h2 id={`${id}-title`}>{care ? t('queue.title') : t('queue.technicalTitle')}</h2>
        {alerts.length > 0 && <span className="badge badge--total">{t('queue.count', { count: alerts.length })}</span>}
      </header>
      {lastRaised !== undefined && (
        // Announces arrivals to screen readers; the highlight does it for the eyes.
        <p className="visually-hidden" aria-live="assertive">
          {lastRaised === null
            ? ''
            : t('queue.announceRaised', { kind: t(`alertKind.${lastRaised.kind}`), who: alertSubject(t, lastRaised) })}
        </p>
      )}
      {loaded && alerts.length === 0 && (
        <div className={care ? 'empty empty--calm' : 'empty'}>
          {care && <Icon name="check" className="empty__icon" />}
          <p>
            <strong>{care ? t('queue.empty') : t('queue.technicalEmpty')}</strong>
          </p>
          {care && <p className="muted">{t('queue.emptyHint')}</p>}
        </div>
      )}
      <ul className="queue__list">
        {alerts.map((alert) => (
          <AlertItem
            key={alert.id}
            alert={alert}
            highlighted={highlighted.has(alert.id)}
            now={now}
            timeZone={timeZone ?? sites?.find((s) => s.id === alert.siteId)?.tz}
            device={devices.get(alert.deviceId)}
            siteName={sites === undefined ? undefined : siteName(alert.siteId)}
            {...actions}
          />
        ))}
      </ul>
    </section>
  );
}
