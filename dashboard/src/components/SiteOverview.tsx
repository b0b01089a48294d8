/**
 * Every site a supervisor looks after, at once: how many care alerts and device problems are
 * active at each, and how many critical alarms nobody has claimed (and for how long). A card
 * opens that site's board. Counts come from the server (`GET /sites/overview`), read again
 * whenever an alert changes anywhere.
 */
import type { SiteOverview as Overview } from '@carecircle/protocol';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { errorMessage } from '../api/errorMessage';
import { useNow } from '../state/useNow';
import { formatWait } from './AlarmTakeover';

interface Props {
  /** Changes whenever an alert anywhere changes: the counts are read again. */
  version: string;
  onOpen(siteId: string): void;
}

export function SiteOverview({ version, onOpen }: Props) {
  const { t } = useTranslation();
  const api = useApi();
  const [sites, setSites] = useState<Overview[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = useNow(1000);

  useEffect(() => {
    let cancelled = false;
    void version;
    api.sitesOverview().then(
      (r) => {
        if (cancelled) return;
        setSites(r.sites);
        setError(null);
      },
      (err: unknown) => {
        if (!cancelled) setError(err);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, version]);

  return (
    <section className="panel overview" aria-labelledby="overview-title" data-testid="site-overview">
      <header className="panel__header">
        <h2 id="overview-title">{t('overview.title')}</h2>
      </header>
      {error !== null && (
        <p className="form-error" role="alert">
          {t('overview.failed', { message: errorMessage(t, error) })}
        </p>
      )}
      <ul className="overview__list">
        {(sites ?? []).map(({ site, care, technical, unclaimedCritical, oldestOpenAt }) => (
          <li key={site.id}>
            <button
              type="button"
              className={`site-card${unclaimedCritical > 0 ? ' site-card--alarm' : care > 0 ? ' site-card--busy' : ''}`}
              data-testid="site-card"
              data-site-id={site.id}
              data-care={care}
              data-technical={technical}
              data-unclaimed={unclaimedCritical}
              onClick={() => onOpen(site.id)}
            >
              <span className="site-card__name">{site.name}</span>
              <span className="site-card__counts">
                <span className="site-card__count">{t('overview.care', { count: care })}</span>
                <span className="site-card__count site-card__count--muted">
                  {t('overview.technical', { count: technical })}
                </span>
              </span>
              {unclaimedCritical > 0 && (
                <span className="site-card__alarm">{t('overview.unclaimed', { count: unclaimedCritical })}</span>
              )}
              {oldestOpenAt !== null && (
                <span className="site-card__wait">
                  {t('overview.oldestOpen', { time: formatWait(now - Date.parse(oldestOpenAt)) })}
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
