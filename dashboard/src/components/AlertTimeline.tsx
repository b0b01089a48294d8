/** Every step of an alert, timestamped and attributed (GET /alerts/:id), refreshed as it changes. */
import type { AlertDetailResponse, AlertTimelineEntry } from '@carecircle/protocol';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { errorMessage } from '../api/errorMessage';
import { currentLanguage } from '../i18n';
import { sayFacts } from './alertFacts';
import { TimeStamp } from './TimeStamp';

interface Props {
  alertId: string;
  /** The alert's `updatedAt`: a change means new entries to fetch. */
  version: string;
  now: number;
  timeZone: string | undefined;
}

type Load = { kind: 'loading' } | { kind: 'failed'; error: unknown } | { kind: 'loaded'; detail: AlertDetailResponse };

export function AlertTimeline({ alertId, version, now, timeZone }: Props) {
  const { t } = useTranslation();
  const api = useApi();
  const [load, setLoad] = useState<Load>({ kind: 'loading' });

  useEffect(() => {
    let cancelled = false;
    // `version` is a dependency on purpose: refetch when the alert changes.
    void version;
    api.alert(alertId).then(
      (detail) => {
        if (!cancelled) setLoad({ kind: 'loaded', detail });
      },
      (error: unknown) => {
        if (!cancelled) setLoad({ kind: 'failed', error });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, alertId, version]);

  return (
    <section className="timeline" aria-label={t('timeline.title')}>
      <h3 className="timeline__title">{t('timeline.title')}</h3>
      {load.kind === 'loading' && <p className="muted">{t('timeline.loading')}</p>}
      {load.kind === 'failed' && (
        <p className="form-error" role="alert">
          {t('timeline.failed', { message: errorMessage(t, load.error) })}
        </p>
      )}
      {load.kind === 'loaded' && load.detail.timeline.length === 0 && <p className="muted">{t('timeline.empty')}</p>}
      {load.kind === 'loaded' && load.detail.timeline.length > 0 && (
        <ol className="timeline__list">
          {[...load.detail.timeline]
            .sort((a, b) => a.seq - b.seq)
            .map((entry) => (
              <TimelineEntry key={entry.seq} entry={entry} now={now} timeZone={timeZone} />
            ))}
        </ol>
      )}
    </section>
  );
}

function TimelineEntry({ entry, now, timeZone }: { entry: AlertTimelineEntry; now: number; timeZone?: string }) {
  const { t, i18n } = useTranslation();
  const actor = entry.actor.type === 'system' ? t('timeline.system') : entry.actor.name;
  return (
    <li className="timeline__entry">
      <TimeStamp iso={entry.at} now={now} timeZone={timeZone} />
      <div className="timeline__body">
        <p className="timeline__what">
          <strong>{t(`timeline.action.${entry.action}`)}</strong>
          {entry.action === 'transition' && (
            <span className="timeline__states">
              {entry.fromState !== null && <>{t(`alertState.${entry.fromState}`)} → </>}
              {t(`alertState.${entry.toState}`)}
            </span>
          )}
        </p>
        {entry.page !== null && (
          <p className="timeline__page" data-testid="timeline-page" data-ring={entry.page.ring}>
            {entry.page.recipients.length === 0
              ? t('timeline.nobody', { ring: entry.page.ring })
              : t(entry.page.reminder ? 'timeline.reminder' : 'timeline.page', {
                  ring: entry.page.ring,
                  names: entry.page.recipients.map((r) => r.name).join(', '),
                })}
          </p>
        )}
        <p className="timeline__who muted">{t('timeline.by', { name: actor })}</p>
        {entry.outcome !== null && (
          <p className="timeline__outcome">{t('timeline.outcome', { outcome: t(`outcome.${entry.outcome}`) })}</p>
        )}
        {/* A rule's facts in the reader's language; a person's note as they wrote it. */}
        {entry.facts !== null && entry.facts.length > 0 ? (
          <p className="timeline__note" data-testid="timeline-facts">
            {sayFacts(t, entry.facts, currentLanguage(i18n), timeZone)}
          </p>
        ) : (
          entry.note !== null && entry.note !== '' && <p className="timeline__note">{entry.note}</p>
        )}
      </div>
    </li>
  );
}
