/** Who is signed in, for which site, in which language, and whether the board is live. */
import type { MeResponse, Site } from '@carecircle/protocol';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConnectionState } from '../state/useBoard';
import { Brand } from './Brand';
import { ConnectionStatus } from './ConnectionStatus';
import { Icon } from './Icon';
import { LanguageSwitch } from './LanguageSwitch';

interface Props {
  me: MeResponse;
  site: Site | undefined;
  /** Only when the user may see several sites (admin, supervisor). */
  onSiteChange(siteId: string): void;
  connection: ConnectionState | null;
  onSignOut(): void;
}

export function AppHeader({ me, site, onSiteChange, connection, onSignOut }: Props) {
  const { t } = useTranslation();
  const siteSelectId = useId();
  return (
    <header className="app-header">
      <div className="app-header__identity">
        <Brand />
        {me.sites.length > 1 ? (
          <div className="inline-field">
            <label htmlFor={siteSelectId}>{t('header.site')}</label>
            <select id={siteSelectId} value={site?.id ?? ''} onChange={(e) => onSiteChange(e.target.value)}>
              {me.sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
        ) : (
          site !== undefined && (
            <p className="app-header__site">
              <span className="visually-hidden">{t('header.site')}: </span>
              {site.name}
            </p>
          )
        )}
      </div>
      <div className="app-header__tools">
        {connection !== null && <ConnectionStatus state={connection} />}
        <p className="app-header__user">
          <Icon name="user" />
          <span className="visually-hidden">{t('header.user')} </span>
          <span>
            <strong>{me.user.displayName}</strong>
            <span className="app-header__role">{t(`role.${me.user.role}`)}</span>
          </span>
        </p>
        <LanguageSwitch compact />
        <button type="button" className="button button--quiet" data-testid="logout" onClick={onSignOut}>
          {t('header.logout')}
        </button>
      </div>
    </header>
  );
}
