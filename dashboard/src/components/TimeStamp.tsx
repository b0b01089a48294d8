/** "3 minutes ago · Nov 29, 11:12:00", with the exact instant in `dateTime` for machines. */
import { useTranslation } from 'react-i18next';
import { formatAbsolute, formatRelative } from '../format/time';
import { currentLanguage } from '../i18n';

interface Props {
  iso: string;
  now: number;
  timeZone?: string;
}

export function TimeStamp({ iso, now, timeZone }: Props) {
  const { i18n } = useTranslation();
  const language = currentLanguage(i18n);
  return (
    <time className="timestamp" dateTime={iso}>
      <span className="timestamp__relative">{formatRelative(iso, now, language)}</span>
      <span className="timestamp__absolute">{formatAbsolute(iso, language, timeZone)}</span>
    </time>
  );
}
