/** Whether the board is live. Staff must know when what they see may be stale. */
import { useTranslation } from 'react-i18next';
import type { ConnectionState } from '../state/useBoard';

export function ConnectionStatus({ state }: { state: ConnectionState }) {
  const { t } = useTranslation();
  const live = state === 'live';
  return (
    <output
      className={`connection connection--${live ? 'live' : 'offline'}`}
      data-testid="connection-status"
      data-state={live ? 'live' : 'offline'}
      title={live ? t('connection.liveHint') : t('connection.offlineHint')}
    >
      <span className="connection__dot" aria-hidden="true" />
      {t(`connection.${state}`)}
    </output>
  );
}
