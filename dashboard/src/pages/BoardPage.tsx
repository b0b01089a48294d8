/** The staff screen: the alert queue and the live board of residents for one site. */
import type { Alert, MeResponse, Site } from '@carecircle/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { errorMessage } from '../api/errorMessage';
import { AlarmTakeover } from '../components/AlarmTakeover';
import { AlertQueue } from '../components/AlertQueue';
import { AppHeader } from '../components/AppHeader';
import { ResidentBoard } from '../components/ResidentBoard';
import { ResolveDialog } from '../components/ResolveDialog';
import { useBoard } from '../state/useBoard';

interface Props {
  me: MeResponse;
  onSignOut(): void;
}

export function BoardPage({ me, onSignOut }: Props) {
  const { t } = useTranslation();
  const [siteId, setSiteId] = useState(() => me.user.siteId ?? me.sites[0]?.id ?? null);
  const site = me.sites.find((s) => s.id === siteId);

  if (siteId === null) {
    return (
      <>
        <AppHeader me={me} site={undefined} onSiteChange={setSiteId} connection={null} onSignOut={onSignOut} />
        <main className="page">
          <h1 className="visually-hidden">{t('app.name')}</h1>
          <p className="notice">{t('header.noSite')}</p>
        </main>
      </>
    );
  }

  return <SiteBoard key={siteId} me={me} siteId={siteId} onSiteChange={setSiteId} onSignOut={onSignOut} site={site} />;
}

interface SiteBoardProps extends Props {
  siteId: string;
  site: Site | undefined;
  onSiteChange(siteId: string): void;
}

function SiteBoard({ me, siteId, site, onSiteChange, onSignOut }: SiteBoardProps) {
  const { t } = useTranslation();
  const board = useBoard(useApi(), siteId);
  const [resolving, setResolving] = useState<Alert | null>(null);

  return (
    <>
      <a className="skip-link" href="#alert-queue">
        {t('app.skipToAlerts')}
      </a>
      <AppHeader me={me} site={site} onSiteChange={onSiteChange} connection={board.connection} onSignOut={onSignOut} />
      <main className="page board">
        <h1 className="visually-hidden">{site?.name ?? t('app.name')}</h1>
        {board.loadError !== null && (
          <div className="notice notice--error" role="alert">
            <p>{t('board.loadFailed', { message: errorMessage(t, board.loadError) })}</p>
            <button type="button" className="button button--secondary" onClick={board.refresh}>
              {t('board.retry')}
            </button>
          </div>
        )}
        <AlarmTakeover alerts={board.alerts} canAct={me.user.role !== 'family'} onAcknowledge={board.acknowledge} />
        <AlertQueue
          alerts={board.alerts}
          highlighted={board.state.highlighted}
          loaded={board.state.loaded}
          lastRaised={board.lastRaised}
          timeZone={site?.tz}
          onAcknowledge={board.acknowledge}
          onResolve={setResolving}
          // Families watch; the server refuses them any action, so none is offered.
          canAct={me.user.role !== 'family'}
        />
        <ResidentBoard residents={board.state.residents} loaded={board.state.loaded} />
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
