/** One resident on the board: name, room, and status as colour, icon and words together. */
import type { Resident, ResidentCare, ResidentStatus } from '@carecircle/protocol';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon, type IconName } from './Icon';

const STATUS_ICON: Readonly<Record<ResidentStatus, IconName>> = {
  ok: 'check',
  alert: 'bell',
  device_problem: 'wrench',
};

interface Props {
  resident: Resident;
  /** Staff and up: offer the care settings (with `onEditCare`). */
  canEditCare?: boolean;
  /** The care profile when this page has seen it (the resident list carries none): the badges. */
  care?: Pick<ResidentCare, 'presence' | 'wanderingRisk'>;
  /** The button that asked, so focus can return to it. */
  onEditCare?(resident: Resident, opener: HTMLElement): void;
}

export function ResidentTile({ resident, canEditCare = false, care, onEditCare }: Props) {
  const { t } = useTranslation();
  const nameId = useId();
  const away = care !== undefined && care.presence !== 'home' ? care.presence : null;
  return (
    <li
      className={`tile tile--${resident.status}`}
      data-testid="resident-tile"
      data-resident-id={resident.id}
      data-status={resident.status}
    >
      <h3 id={nameId} className="tile__name">
        {resident.name}
      </h3>
      <p className="tile__room">
        {resident.room === null ? t('board.noRoom') : t('board.room', { room: resident.room })}
      </p>
      <p className="tile__status">
        <span className={`status-chip status-chip--${resident.status}`}>
          <Icon name={STATUS_ICON[resident.status]} />
          {t(`status.${resident.status}`)}
        </span>
        {resident.activeAlerts > 0 && (
          <span className="tile__alerts">{t('board.activeAlerts', { count: resident.activeAlerts })}</span>
        )}
      </p>
      {(away !== null || care?.wanderingRisk === true) && (
        <p className="tile__care">
          {away !== null && (
            <span className={`care-badge care-badge--${away}`} data-testid={`care-badge-${away}`}>
              {t(`care.badge.${away}`)}
            </span>
          )}
          {care?.wanderingRisk === true && (
            <span className="care-badge care-badge--wandering" data-testid="care-badge-wandering">
              {t('care.badge.wandering')}
            </span>
          )}
        </p>
      )}
      {canEditCare && onEditCare !== undefined && (
        <button
          type="button"
          className="button button--quiet tile__care-button"
          aria-haspopup="dialog"
          aria-describedby={nameId}
          onClick={(e) => onEditCare(resident, e.currentTarget)}
          data-testid="care-open"
        >
          {t('care.open')}
        </button>
      )}
    </li>
  );
}
