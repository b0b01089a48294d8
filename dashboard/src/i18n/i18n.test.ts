import { describe, expect, it } from 'vitest';
import { en } from './en';
import { createI18n, detectLanguage, LANGUAGE_STORAGE_KEY, type Language } from './index';
import { zhCN } from './zh-CN';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), data };
}

describe('detectLanguage', () => {
  it('prefers a remembered choice', () => {
    expect(detectLanguage('en', ['zh-CN'])).toBe('en');
  });

  it('maps any Chinese browser language to zh-CN', () => {
    expect(detectLanguage(null, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(detectLanguage(null, ['zh'])).toBe('zh-CN');
    expect(detectLanguage(null, ['fr-FR', 'zh-Hans-CN'])).toBe('zh-CN');
  });

  it('falls back to English', () => {
    expect(detectLanguage(null, ['en-GB', 'zh-CN'])).toBe('en');
    expect(detectLanguage(null, ['fr'])).toBe('en');
    expect(detectLanguage('klingon', [])).toBe('en');
  });
});

describe('createI18n', () => {
  it('starts translated, reports the language, and remembers only a change', async () => {
    const storage = memoryStorage();
    const seen: Language[] = [];
    const i18n = createI18n({ storage, browserLanguages: ['zh-CN'], onLanguage: (l) => seen.push(l) });
    expect(i18n.t('alertKind.sos')).toBe('紧急呼叫');
    expect(storage.data.has(LANGUAGE_STORAGE_KEY)).toBe(false);
    await i18n.changeLanguage('en');
    expect(i18n.t('alertKind.sos')).toBe('SOS call');
    expect(i18n.t('board.activeAlerts', { count: 2 })).toBe('2 active alerts');
    expect(storage.data.get(LANGUAGE_STORAGE_KEY)).toBe('en');
    expect(seen).toEqual(['zh-CN', 'en']);
  });
});

describe('messages', () => {
  it('zh-CN has every key English has, and no empty message', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
    expect(keys(zhCN)).toEqual(keys(en));
    const values = (o: object): unknown[] => Object.values(o).flatMap((v) => (typeof v === 'object' ? values(v) : [v]));
    expect(values(zhCN).every((v) => typeof v === 'string' && v !== '')).toBe(true);
  });
});
