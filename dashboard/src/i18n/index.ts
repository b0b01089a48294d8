/**
 * i18next set-up: zh-CN and English, the default taken from the browser, the user's choice
 * remembered, and `<html lang>` kept in step so screen readers and fonts follow the language.
 */
import { createInstance, type i18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { zhCN } from './zh-CN';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language is named in itself, so it can be found whatever the current language is. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = { 'zh-CN': '中文', en: 'English' };

export const LANGUAGE_STORAGE_KEY = 'carecircle.language';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The stored choice if there is one; otherwise the first browser language we speak
 * (`zh*` → zh-CN, `en*` → en); otherwise English.
 */
export function detectLanguage(stored: string | null, browserLanguages: readonly string[]): Language {
  if (isLanguage(stored)) return stored;
  for (const tag of browserLanguages) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'en';
}

export interface LanguageEnvironment {
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  browserLanguages: readonly string[];
  /** Receives the active language on start and on every change (`<html lang>`). */
  onLanguage: (language: Language) => void;
}

export function createI18n(env: LanguageEnvironment): i18n {
  const instance = createInstance();
  const lng = detectLanguage(readStored(env.storage), env.browserLanguages);
  instance.on('languageChanged', (language) => {
    if (isLanguage(language)) env.onLanguage(language);
  });
  // Resources are bundled, so init completes synchronously and the first render is translated.
  void instance.use(initReactI18next).init({
    lng,
    fallbackLng: 'en',
    supportedLngs: LANGUAGES,
    load: 'currentOnly',
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    initAsync: false,
    interpolation: { escapeValue: false }, // React escapes.
    returnNull: false,
  });
  // Attached after init: only a change the user makes is remembered, not the browser default.
  instance.on('languageChanged', (language) => {
    if (!isLanguage(language)) return;
    try {
      env.storage?.setItem(LANGUAGE_STORAGE_KEY, language);
    } catch {
      // Private mode or a full quota: the choice lasts for this page only.
    }
  });
  return instance;
}

/** The active language as one of ours (i18next may report a fallback chain member). */
export function currentLanguage(instance: i18n): Language {
  const lng = instance.resolvedLanguage ?? instance.language;
  return isLanguage(lng) ? lng : 'en';
}

function readStored(storage: LanguageEnvironment['storage']): string | null {
  try {
    return storage?.getItem(LANGUAGE_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}
