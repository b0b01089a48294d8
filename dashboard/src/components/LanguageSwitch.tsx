/** zh-CN / English. The choice is remembered (see `i18n/index.ts`). */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { currentLanguage, isLanguage, LANGUAGE_NAMES, LANGUAGES } from '../i18n';
import { Icon } from './Icon';

/** `compact`: the label is read by screen readers but shown as a globe, to save header room. */
export function LanguageSwitch({ compact = false }: { compact?: boolean }) {
  const { t, i18n } = useTranslation();
  const id = useId();
  return (
    <div className="inline-field">
      <label htmlFor={id} title={compact ? t('language.label') : undefined}>
        {compact && <Icon name="globe" />}
        <span className={compact ? 'visually-hidden' : undefined}>{t('language.label')}</span>
      </label>
      <select
        id={id}
        data-testid="lang-switch"
        value={currentLanguage(i18n)}
        onChange={(e) => {
          if (isLanguage(e.target.value)) void i18n.changeLanguage(e.target.value);
        }}
      >
        {LANGUAGES.map((lng) => (
          <option key={lng} value={lng} lang={lng}>
            {LANGUAGE_NAMES[lng]}
          </option>
        ))}
      </select>
    </div>
  );
}
