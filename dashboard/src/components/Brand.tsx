/** The CareCircle wordmark, at the top of the login page and of the app header. */
import { useTranslation } from 'react-i18next';

export function Brand() {
  const { t } = useTranslation();
  return (
    <span className="brand">
      <span className="brand__mark" aria-hidden="true" />
      {t('app.name')}
    </span>
  );
}
