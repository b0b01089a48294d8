/**
 * The staff screen. For one site: the alarm takeover, the care queue, device problems, the
 * residents and today's history. For every site at once (supervisors, administrators): the
 * takeover and the queues across sites, and a card per site with its counts.
 */
import type { Alert, MeResponse, Role } from '@carecircle/protocol';
import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { errorMessage } from '../api/errorMessage';
import { AlarmTakeover } from '../components/AlarmTakeover';
import { AlertQueue } from '../components/AlertQueue';
import { AppHeader } from '../components/AppHeader';
import { ResidentBoard } from '../components/ResidentBoard';
import { ResolveDialog } from '../components/ResolveDialog';
import { SiteOverview } from '../components/SiteOverview';
import { TodayHistory } from '../components/TodayHistory';
import { type Display, useDisplay } from '../state/display';
import { ALL_SITES, loadSiteChoice, type SiteChoice, saveSiteChoice } from '../state/siteChoice';
import { useBoard } from '../state/useBoard';

interface Props {
  me: MeResponse;
  onSignOut(): void;
}

/** Who may change a resident's care profile and rule settings. */
const CARE_EDITORS: ReadonlySet<Role> = new Set<Role>(['staff', 'supervisor', 'admin']);

export function BoardPage({ me, onSignOut }: Props) {
  const { t } = useTranslation();
  const [choice, setChoice] = useState<SiteChoice | null>(() => loadSiteChoice(me));
  const [display, changeDisplay] = useDisplay();
  const choose = useCallback((next: SiteChoice) => {
    saveSiteChoice(next);
    setChoice(next);
  }, []);

  if (choice === null) {
    return (
      <>
        <AppHeader
          me={me}
          choice={null}
          onSiteChange={choose}
          connection={null}
          display={display}
          onDisplayChange={changeDisplay}
          onSignOut={onSignOut}
        />
        <main className="page">
          <h1 className="visually-hidden">{t('app.name')}</h1>
          <p className="notice">{t('header.noSite')}</p>
        </main>
      </>
    );
  }

  return (
    <Board
      key={choice}
      me={me}
      siteId={choice === ALL_SITES ? null : choice}
      onSiteChange={choose}
      display={display}
      onDisplayChange={changeDisplay}
      onSignOut={onSignOut}
    />
  );
}

interface BoardProps extends Props {
  /** null: every site the user may see. */
  siteId: string | null;
  onSiteChange(choice: SiteChoice): void;
  display: Display;
  onDisplayChange(change: Partial<Display>): void;
}

function Board({ me, siteId, onSiteChange, display, onDisplayChange, onSignOut }: BoardProps) {
  const { t } = useTranslation();
  const site = siteId === null ? undefined : me.sites.find((s) => s.id === siteId);
  const board = useBoard(useApi(), siteId, site?.tz);
  const [resolving, setResolving] = useState<Alert | null>(null);
  const care = useMemo(() => board.alerts.filter((a) => a.category === 'care'), [board.alerts]);
  const technical = useMemo(() => board.alerts.filter((a) => a.category === 'technical'), [board.alerts]);
  // Any change to any alert reads the per-site counts again.
  const version = useMemo(() => board.alerts.map((a) => `${a.id}@${a.updatedAt}`).join(','), [board.alerts]);

  // Families watch; the server refuses them any action, so none is offered.
  const canAct = me.user.role !== 'family';
  const offline = board.connection !== 'live';
  const acknowledge = useCallback((alertId: string) => board.act(alertId, 'acknowledged'), [board.act]);
  const actions = { onAct: board.act, onResolve: setResolving, canAct, offline };
  const sites = siteId === null ? me.sites : undefined;
  const queue = {
    highlighted: board.state.highlighted,
    loaded: board.state.loaded,
    timeZone: site?.tz,
    devices: board.devices,
    ...(sites === undefined ? {} : { sites }),
    ...actions,
  };

  return (
    <>
      <a className="skip-link" href="#alert-queue">
        {t('app.skipToAlerts')}
      </a>
      <AppHeader
        me={me}
        choice={siteId ?? ALL_SITES}
        onSiteChange={onSiteChange}
        connection={board.connection}
        display={display}
        onDisplayChange={onDisplayChange}
        onSignOut={onSignOut}
      />
      <main className="page board-page" data-offline={offline}>
        <h1 className="visually-hidden">{site?.name ?? t('header.allSites', { count: me.sites.length })}</h1>
        {offline && board.connection === 'reconnecting' && (
          <p className="notice notice--offline" role="status" data-testid="offline-notice">
            {t('connection.offlineHint')}
          </p>
        )}
        {board.loadError !== null && (
          <div className="notice notice--error" role="alert">
            <p>{t('board.loadFailed', { message: errorMessage(t, board.loadError) })}</p>
            <button type="button" className="button button--secondary" onClick={board.refresh}>
              {t('board.retry')}
            </button>
          </div>
        )}
        <AlarmTakeover
          alerts={board.alerts}
          canAct={canAct}
          offline={offline}
          onAcknowledge={acknowledge}
          timeZone={site?.tz}
          {...(sites === undefined ? {} : { sites })}
        />
        {siteId === null && <SiteOverview version={version} onOpen={onSiteChange} />}
        <div className={`board${siteId === null ? ' board--all' : ''}`}>
          <AlertQueue category="care" alerts={care} lastRaised={board.lastRaised} {...queue} />
          <AlertQueue category="technical" alerts={technical} {...queue} />
          {siteId !== null && (
            <>
              <ResidentBoard
                residents={board.state.residents}
                loaded={board.state.loaded}
                canEditCare={CARE_EDITORS.has(me.user.role)}
              />
              {/* Staff notes are for staff: what a family sees of them is the family page's (next issues). */}
              {me.user.role !== 'family' && (
                <TodayHistory closed={board.state.closed} loaded={board.state.loaded} timeZone={site?.tz} />
              )}
            </>
          )}
        </div>
      </main>
      {resolving !== null && (
        <ResolveDialog
          alert={resolving}
          onConfirm={(body) => board.resolve(resolving.id, body)}
          onClose={() => setResolving(null)}
        />
      )}
    </>
  );
}
