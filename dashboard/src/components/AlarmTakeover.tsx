/**
 * An unclaimed critical alert takes over the top of the page, and stays until someone claims
 * it: what it is, who, for how long nobody has claimed it, a claim button. The sound can be muted
 * for five minutes at this workstation; this cannot be dismissed.
 */
import type { Alert, Site } from '@carecircle/protocol';
import { useTranslation } from 'react-i18next';
import { currentLanguage } from '../i18n';
import { unclaimedCritical } from '../state/alertOrder';
import { useAlarmSound, useAlarmTitle } from '../state/useAlarm';
import { useNow } from '../state/useNow';
import { alertSubject, ladderProgress } from './alertSubject';

interface Props {
  alerts: readonly Alert[];
  canAct: boolean;
  /** The server is out of reach: the claim is greyed out (the takeover and sound stay). */
  offline: boolean;
  onAcknowledge(alertId: string): Promise<void>;
  /** On the all-sites view: the alarm says which site. */
  sites?: readonly Site[];
  /** The site's zone, for the time of the last page (on the all-sites view, each alert's site's). */
  timeZone?: string | undefined;
}

/** How long something has waited, as mm:ss (hours roll into the minutes: 75:02). */
export function formatWait(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function AlarmTakeover({ alerts, canAct, offline, onAcknowledge, sites, timeZone }: Props) {
  const { t, i18n } = useTranslation();
  const waiting = unclaimedCritical(alerts);
  const { sound, mute, unmute } = useAlarmSound(waiting.length > 0);
  useAlarmTitle(waiting.length, t('takeover.tabTitle'));
  const now = useNow(1000);
  const first = waiting[0];
  if (!first) return null;
  const site = sites?.find((s) => s.id === first.siteId);
  return (
    <section className="takeover" role="alert" data-testid="takeover" data-sound={sound} data-alert-id={first.id}>
      <div className="takeover__what">
        <p className="takeover__kind">
          {t(`alertKind.${first.kind}`)} · {alertSubject(t, first)}
          {sites !== undefined && <> · {site?.name ?? first.siteId}</>}
        </p>
        <p className="takeover__wait" data-testid="takeover-wait">
          {t('takeover.unclaimedFor', { time: formatWait(now - Date.parse(first.raisedAt)) })}
          {first.ring !== null && <> · {ladderProgress(t, first, currentLanguage(i18n), timeZone ?? site?.tz)}</>}
          {waiting.length > 1 && <> · {t('takeover.more', { count: waiting.length - 1 })}</>}
        </p>
      </div>
      <div className="takeover__actions">
        {canAct && (
          <button
            type="button"
            className="button button--takeover"
            data-testid="takeover-claim"
            disabled={offline}
            title={offline ? t('connection.actionsPaused') : undefined}
            onClick={() => void onAcknowledge(first.id)}
          >
            {t('takeover.claim')}
          </button>
        )}
        {sound === 'muted' ? (
          <button type="button" className="button button--secondary" data-testid="takeover-unmute" onClick={unmute}>
            {t('takeover.unmute')}
          </button>
        ) : (
          <button type="button" className="button button--secondary" data-testid="takeover-mute" onClick={mute}>
            {t('takeover.mute')}
          </button>
        )}
      </div>
    </section>
  );
}
