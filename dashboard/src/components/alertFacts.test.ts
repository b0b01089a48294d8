import { fact } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { createI18n } from '../i18n';
import { sayFacts } from './alertFacts';

const i18n = createI18n({ storage: null, browserLanguages: ['en'], onLanguage: () => {} });
const TZ = 'Asia/Shanghai';
// 22:30 and 22:32 in Shanghai.
const wandering = [
  fact('bed_empty', { at: '2026-11-29T14:30:00.000Z' }),
  fact('exit_door_opened', { at: '2026-11-29T14:32:00.000Z' }),
  fact('not_back_inside', { minutes: 10 }),
];

describe('sayFacts', () => {
  it("says a wandering incident's three facts in the site's zone, in English and Chinese", async () => {
    await i18n.changeLanguage('en');
    expect(sayFacts(i18n.t, wandering, 'en', TZ)).toBe(
      '22:30 bed empty · 22:32 exit door opened · not back inside within 10 min',
    );
    await i18n.changeLanguage('zh-CN');
    expect(sayFacts(i18n.t, wandering, 'zh-CN', TZ)).toBe('22:30 离床 · 22:32 入户门打开 · 10 分钟内未返回室内');
  });

  it('says seconds for a drill window, hours for whole hours, and a vital sign with its range', async () => {
    await i18n.changeLanguage('en');
    expect(sayFacts(i18n.t, [fact('not_back_in_bed', { minutes: 0.05 })], 'en', TZ)).toBe('not back in bed within 3 s');
    expect(sayFacts(i18n.t, [fact('no_activity', { at: '2026-11-29T00:00:00Z', minutes: 240 })], 'en', TZ)).toBe(
      'no activity since 08:00 (4 h of waking time)',
    );
    const spo2 = fact('vital_outside', { vital: 'spo2', value: 86, min: 90, at: '2026-11-29T00:11:00Z', minutes: 5 });
    expect(sayFacts(i18n.t, [spo2], 'en', TZ)).toBe('SpO₂ 86 (at least 90) since 08:11, for 5 min');
    const hr = fact('vital_outside', {
      vital: 'heart_rate',
      value: 140,
      min: 45,
      max: 120,
      at: '2026-11-29T00:11:00Z',
      minutes: 5,
    });
    await i18n.changeLanguage('zh-CN');
    expect(sayFacts(i18n.t, [hr], 'zh-CN', TZ)).toBe('心率 140（正常范围 45–120），自 08:11 起持续 5 分钟');
  });
});
