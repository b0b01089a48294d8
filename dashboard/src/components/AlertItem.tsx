/**
 * One active alert: what, who, where, how severe, its state, how often, since when; the actions
 * its state allows; and, on request, its timeline.
 */

import type { Alert } from '@carecircle/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../api/errorMessage';
import { urgencyOf } from '../state/alertOrder';
import { AlertTimeline } from './AlertTimeline';
import { alertSubject } from './alertSubject';
import { Icon } from './Icon';
import { TimeStamp } from './TimeStamp';

interface Props {
  alert: Alert;
  highlighted: boolean;
  now: number;
  timeZone: string | undefined;
  onAcknowledge(alertId: string): Promise<void>;
  onResolve(alert: Alert): void;
  canAct: boolean;
}

export function AlertItem({ alert, highlighted, now, timeZone, onAcknowledge, onResolve, canAct }: Props) {
  const { t } = useTranslation();
  const [expanded, setExpanded] = useState(false);
  const [acking, setAcking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const timelineId = `timeline-${alert.id}`;

  async function acknowledge() {
    setAcking(true);
    setError(null);
    try {
      await onAcknowledge(alert.id);
    } catch (err) {
      setError(t('queue.ackFailed', { message: errorMessage(t, err) }));
    } finally {
      setAcking(false);
    }
  }

  const urgency = urgencyOf(alert, now);
  const classes = [
    'alert-item',
    `alert-item--${alert.severity}`,
    `alert-item--${alert.state}`,
    `alert-item--${urgency}`,
  ];
  if (highlighted) classes.push('alert-item--new');

  return (
    <li
      className={classes.join(' ')}
      data-testid="alert-item"
      data-alert-id={alert.id}
      data-kind={alert.kind}
      data-state={alert.state}
      data-severity={alert.severity}
      data-urgency={urgency}
    >
      <div className="alert-item__row">
        <button
          type="button"
          className="alert-item__summary"
          aria-expanded={expanded}
          aria-controls={timelineId}
          onClick={() => setExpanded((e) => !e)}
        >
          <span className="alert-item__headline">
            <span className={`severity severity--${alert.severity}`}>{t(`severity.${alert.severity}`)}</span>
            <span className="alert-item__kind">{t(`alertKind.${alert.kind}`)}</span>
            {alert.count > 1 && (
              <span className="badge badge--count" title={t('queue.repeatsLabel', { count: alert.count })}>
                <span aria-hidden="true">{t('queue.repeats', { count: alert.count })}</span>
                <span className="visually-hidden">{t('queue.repeatsLabel', { count: alert.count })}</span>
              </span>
            )}
            {highlighted && <span className="badge badge--new">{t('queue.new')}</span>}
          </span>
          <span className="alert-item__subject">{alertSubject(t, alert)}</span>
          <span className="alert-item__meta">
            <span className={`state state--${alert.state}`}>{t(`alertState.${alert.state}`)}</span>
            {alert.acknowledgedBy !== null && (
              <span className="alert-item__claimed">{t('queue.claimedBy', { name: alert.acknowledgedBy.name })}</span>
            )}
            <TimeStamp iso={alert.raisedAt} now={now} timeZone={timeZone} />
            {alert.ring !== null && alert.state === 'open' && (
              <span className="alert-item__ring">{t('takeover.ring', { ring: alert.ring })}</span>
            )}
          </span>
          <span className="alert-item__more">
            <Icon name="chevron" className="alert-item__chevron" />
            <span className="visually-hidden">{t('queue.details')}</span>
          </span>
        </button>
        {canAct && (
          <div className="alert-item__actions">
            {alert.state === 'open' && (
              <button
                type="button"
                className="button button--primary"
                data-testid="alert-ack"
                disabled={acking}
                onClick={() => void acknowledge()}
              >
                {acking ? t('queue.acknowledging') : t('queue.acknowledge')}
              </button>
            )}
            <button
              type="button"
              className="button button--secondary"
              data-testid="alert-resolve"
              onClick={() => onResolve(alert)}
            >
              {t('queue.resolve')}
            </button>
          </div>
        )}
      </div>
      {error !== null && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div id={timelineId} hidden={!expanded}>
        {expanded && <AlertTimeline alertId={alert.id} version={alert.updatedAt} now={now} timeZone={timeZone} />}
      </div>
    </li>
  );
}
