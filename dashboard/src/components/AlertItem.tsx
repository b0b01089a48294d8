/**
 * One active alert: what, who, where, how severe, its state, how often, since when; the actions
 * its state allows; and, on request, its timeline.
 */

import { type Alert, canTransition, type Device } from '@carecircle/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../api/errorMessage';
import { currentLanguage } from '../i18n';
import { urgencyOf } from '../state/alertOrder';
import type { AlertStep } from '../state/useBoard';
import { AlertTimeline } from './AlertTimeline';
import { alertSubject, ladderProgress } from './alertSubject';
import { DeviceProblem } from './DeviceProblem';
import { Icon } from './Icon';
import { TimeStamp } from './TimeStamp';

export interface AlertActions {
  onAct(alertId: string, step: AlertStep): Promise<void>;
  onResolve(alert: Alert): void;
  /** Whether the user may act at all (families may not). */
  canAct: boolean;
  /** The server is out of reach: actions are shown greyed out, with the reason. */
  offline: boolean;
}

interface Props extends AlertActions {
  alert: Alert;
  highlighted: boolean;
  now: number;
  timeZone: string | undefined;
  /** The device a technical alert is about, when the board knows it. */
  device: Device | undefined;
  /** Set on the all-sites view: which site it is at. */
  siteName?: string | undefined;
}

/** The steps short of resolving, in lifecycle order; each shown only where the state allows it. */
const STEPS: readonly { step: AlertStep; label: 'acknowledge' | 'enRoute' | 'onScene'; testId: string }[] = [
  { step: 'acknowledged', label: 'acknowledge', testId: 'alert-ack' },
  { step: 'en_route', label: 'enRoute', testId: 'alert-en-route' },
  { step: 'on_scene', label: 'onScene', testId: 'alert-on-scene' },
];

export function AlertItem(props: Props) {
  const { alert, highlighted, now, timeZone, device, siteName, onAct, onResolve, canAct, offline } = props;
  const { t, i18n } = useTranslation();
  const [expanded, setExpanded] = useState(false);
  const [busy, setBusy] = useState<AlertStep | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timelineId = `timeline-${alert.id}`;

  async function act(step: AlertStep) {
    setBusy(step);
    setError(null);
    try {
      await onAct(alert.id, step);
    } catch (err) {
      setError(t('queue.actFailed', { message: errorMessage(t, err) }));
    } finally {
      setBusy(null);
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
          <span className="alert-item__subject">
            {siteName !== undefined && <span className="alert-item__site">{siteName} · </span>}
            {alertSubject(t, alert)}
          </span>
          <span className="alert-item__meta">
            <span className={`state state--${alert.state}`}>{t(`alertState.${alert.state}`)}</span>
            {alert.acknowledgedBy !== null && (
              <span className="alert-item__claimed">{t('queue.claimedBy', { name: alert.acknowledgedBy.name })}</span>
            )}
            <TimeStamp iso={alert.raisedAt} now={now} timeZone={timeZone} />
            {alert.ring !== null && alert.state === 'open' && (
              <span className="alert-item__ring" data-testid="alert-ring">
                {ladderProgress(t, alert, currentLanguage(i18n), timeZone)}
              </span>
            )}
          </span>
          <span className="alert-item__more">
            <Icon name="chevron" className="alert-item__chevron" />
            <span className="visually-hidden">{t('queue.details')}</span>
          </span>
        </button>
        {canAct && (
          <div className="alert-item__actions" title={offline ? t('connection.actionsPaused') : undefined}>
            {STEPS.filter(({ step }) => canTransition(alert.state, step)).map(({ step, label, testId }, i) => (
              <button
                key={step}
                type="button"
                className={`button ${i === 0 ? 'button--primary' : 'button--secondary'}`}
                data-testid={testId}
                disabled={busy !== null || offline}
                onClick={() => void act(step)}
              >
                {busy === step ? t('queue.working') : t(`queue.${label}`)}
              </button>
            ))}
            <button
              type="button"
              className="button button--secondary"
              data-testid="alert-resolve"
              disabled={busy !== null || offline}
              onClick={() => onResolve(alert)}
            >
              {t('queue.resolve')}
            </button>
          </div>
        )}
      </div>
      {alert.category === 'technical' && <DeviceProblem alert={alert} device={device} timeZone={timeZone} />}
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
