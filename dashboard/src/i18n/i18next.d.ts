/** Typed translation keys: `t('alertKind.sos')` is checked against `en.ts`. */
import 'i18next';
import type { Messages } from './en';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Messages };
    returnNull: false;
  }
}
