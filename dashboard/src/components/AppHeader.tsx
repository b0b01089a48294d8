/** Who is signed in, for which site, in which language, and whether the board is live. */
import type { MeResponse } from '@carecircle/protocol';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { Display } from '../state/display';
import { ALL_SITES } from '../state/siteChoice';
import type { ConnectionState } from '../state/useBoard';
import { Brand } from './Brand';
import { ConnectionStatus } from './ConnectionStatus';
import { Icon } from './Icon';
import { LanguageSwitch } from './LanguageSwitch';

interface Props {
  me: MeResponse;
  /** The site shown, or ALL_SITES. */
  choice: string | null;
  /** Only when the user may see several sites (admin, supervisor). */
  onSiteChange(siteId: string): void;
  connection: ConnectionState | null;
  display: Display;
  onDisplayChange(change: Partial<Display>): void;
  onSignOut(): void;
}

export function AppHeader({ me, choice, onSiteChange, connection, display, onDisplayChange, onSignOut }: Props) {
  const { t } = useTranslation();
  const siteSelectId = useId();
  return (
    <header className="app-header">
      <div className="app-header__identity">
        <Brand />
        {me.sites.length > 1 ? (
          <div className="inline-field">
            <label htmlFor={siteSelectId}>{t('header.site')}</label>
            <select
              id={siteSelectId}
              data-testid="site-select"
              value={choice ?? ''}
              onChange={(e) => onSiteChange(e.target.value)}
            >
              <option value={ALL_SITES}>{t('header.allSites', { count: me.sites.length })}</option>
              {me.sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
        ) : (
          me.sites[0] !== undefined && (
            <p className="app-header__site">
              <span className="visually-hidden">{t('header.site')}: </span>
              {me.sites[0].name}
            </p>
          )
        )}
      </div>
      <div className="app-header__tools">
        {connection !== null && <ConnectionStatus state={connection} />}
        <fieldset className="display-switch">
          <legend className="visually-hidden">{t('display.label')}</legend>
          {(['night', 'large'] as const).map((what) => (
            <button
              key={what}
              type="button"
              className="button button--quiet display-switch__toggle"
              aria-pressed={display[what]}
              data-testid={`display-${what}`}
              onClick={() => onDisplayChange({ [what]: !display[what] })}
            >
              {t(`display.${what}`)}
            </button>
          ))}
        </fieldset>
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
