import {
  type CareRules,
  CareRulesSchema,
  DEFAULT_CARE_RULES,
  DEFAULT_RESIDENT_CARE,
  type ResidentCare,
} from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import {
  CARE_RULE_FIELDS,
  CARE_RULE_SPECS,
  type CareFormValues,
  type CareRuleField,
  fromFormValues,
  isOverridden,
  parseDecimal,
  parseWallClock,
  rangePartner,
  toFormValues,
} from './careForm';

const site: CareRules = { ...DEFAULT_CARE_RULES, nightStart: '21:30', heartRateMax: 110 };

const full: ResidentCare = {
  wanderingRisk: true,
  livesAlone: true,
  presence: 'hospital',
  rules: {
    nightStart: '23:15',
    nightEnd: '05:45',
    wanderingReturnMinutes: 0.05,
    bedExitMinutes: 12.5,
    wakingStart: '06:30',
    wakingEnd: '21:00',
    inactivityHours: 6,
    heartRateMin: 40,
    heartRateMax: 130,
    breathingRateMin: 6,
    breathingRateMax: 30,
    spo2Min: 88,
    vitalsSustainMinutes: 2,
  },
};

function withRule(values: CareFormValues, field: CareRuleField, text: string): CareFormValues {
  return { ...values, rules: { ...values.rules, [field]: text } };
}

function errorsOf(values: CareFormValues, unreadable?: ReadonlySet<CareRuleField>) {
  const result = fromFormValues(values, site, unreadable);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.care)}`);
  return result.errors;
}

function careOf(values: CareFormValues): ResidentCare {
  const result = fromFormValues(values, site);
  if (!result.ok) throw new Error(`expected no errors, got ${JSON.stringify(result.errors)}`);
  return result.care;
}

describe('the fields', () => {
  it('cover every rule setting once, with the schema limits', () => {
    expect([...CARE_RULE_FIELDS].sort()).toEqual(Object.keys(CareRulesSchema.properties).sort());
    expect(CARE_RULE_SPECS.nightStart).toEqual({ field: 'nightStart', kind: 'time' });
    expect(CARE_RULE_SPECS.heartRateMin).toEqual({
      field: 'heartRateMin',
      kind: 'number',
      min: 20,
      max: 200,
      integer: true,
      step: '1',
    });
    expect(CARE_RULE_SPECS.bedExitMinutes).toMatchObject({ min: 0.05, max: 600, integer: false, step: 'any' });
  });

  it('pairs the ends of a range', () => {
    expect(rangePartner('heartRateMin')).toBe('heartRateMax');
    expect(rangePartner('breathingRateMax')).toBe('breathingRateMin');
    expect(rangePartner('spo2Min')).toBeNull();
  });
});

describe('round trips', () => {
  it('keeps a profile with every setting its own', () => {
    const values = toFormValues(full);
    expect(values.rules.wanderingReturnMinutes).toBe('0.05');
    expect(values.rules.nightStart).toBe('23:15');
    expect(careOf(values)).toEqual(full);
  });

  it('keeps a profile with no own settings: every input empty, nothing sent', () => {
    const values = toFormValues(DEFAULT_RESIDENT_CARE);
    expect(Object.values(values.rules).every((v) => v === '')).toBe(true);
    expect(CARE_RULE_FIELDS.some((f) => isOverridden(values, f))).toBe(false);
    expect(careOf(values)).toEqual(DEFAULT_RESIDENT_CARE);
  });

  it('sends only the overridden settings, even one equal to the site value', () => {
    const care: ResidentCare = {
      ...DEFAULT_RESIDENT_CARE,
      presence: 'away',
      rules: { nightStart: '21:30', spo2Min: 92 },
    };
    const values = toFormValues(care);
    expect(isOverridden(values, 'nightStart')).toBe(true);
    expect(isOverridden(values, 'nightEnd')).toBe(false);
    expect(careOf(values)).toEqual(care);
  });

  it('reads numbers and times as people type them', () => {
    let values = toFormValues(DEFAULT_RESIDENT_CARE);
    values = withRule(values, 'bedExitMinutes', ' 7,5 ');
    values = withRule(values, 'nightStart', '7:05');
    values = withRule(values, 'spo2Min', '9.2e1');
    expect(careOf(values).rules).toEqual({ bedExitMinutes: 7.5, nightStart: '07:05', spo2Min: 92 });
  });
});

describe('clearing an override', () => {
  it('leaves the setting out, so the site value applies', () => {
    const values = withRule(withRule(toFormValues(full), 'nightStart', ''), 'heartRateMin', '   ');
    const care = careOf(values);
    expect(care.rules).not.toHaveProperty('nightStart');
    expect(care.rules).not.toHaveProperty('heartRateMin');
    expect(care.rules.nightEnd).toBe('05:45');
    expect(Object.keys(care.rules)).toHaveLength(CARE_RULE_FIELDS.length - 2);
  });
});

describe('invalid numbers', () => {
  it.each(['abc', '1.2.3', '0x10', '--5', 'Infinity', '12 min', '1e400'])('refuses %j', (text) => {
    expect(errorsOf(withRule(toFormValues(full), 'inactivityHours', text))).toEqual([
      { field: 'inactivityHours', reason: 'notANumber' },
    ]);
  });

  it('refuses a fraction where the schema wants a whole number', () => {
    expect(errorsOf(withRule(toFormValues(full), 'spo2Min', '92.5'))).toEqual([
      { field: 'spo2Min', reason: 'notAnInteger' },
    ]);
  });

  it('refuses text the browser could not read, although the input reads as empty', () => {
    let values = toFormValues(DEFAULT_RESIDENT_CARE);
    values = withRule(values, 'heartRateMin', '');
    expect(errorsOf(values, new Set<CareRuleField>(['heartRateMin', 'wakingEnd']))).toEqual([
      { field: 'wakingEnd', reason: 'badTime' },
      { field: 'heartRateMin', reason: 'notANumber' },
    ]);
  });
});

describe('out of range', () => {
  it('says which limit, from the schema', () => {
    let values = toFormValues(full);
    values = withRule(values, 'wanderingReturnMinutes', '0.01');
    values = withRule(values, 'heartRateMax', '251');
    values = withRule(values, 'inactivityHours', '0');
    values = withRule(values, 'spo2Min', '101');
    expect(errorsOf(values)).toEqual([
      { field: 'wanderingReturnMinutes', reason: 'tooSmall', limit: 0.05 },
      { field: 'inactivityHours', reason: 'tooSmall', limit: 0.5 },
      { field: 'heartRateMax', reason: 'tooLarge', limit: 250 },
      { field: 'spo2Min', reason: 'tooLarge', limit: 100 },
    ]);
  });

  it('accepts the limits themselves', () => {
    let values = toFormValues(DEFAULT_RESIDENT_CARE);
    values = withRule(values, 'bedExitMinutes', '600');
    values = withRule(values, 'vitalsSustainMinutes', '0.05');
    expect(careOf(values).rules).toEqual({ bedExitMinutes: 600, vitalsSustainMinutes: 0.05 });
  });

  it('keeps a minimum below the maximum in force, own or the site value', () => {
    const none = toFormValues(DEFAULT_RESIDENT_CARE);
    // Against the site's maximum of 110.
    expect(errorsOf(withRule(none, 'heartRateMin', '110'))).toEqual([
      { field: 'heartRateMin', reason: 'minNotBelowMax', limit: 110 },
    ]);
    // Against the site's minimum of 8.
    expect(errorsOf(withRule(none, 'breathingRateMax', '8'))).toEqual([
      { field: 'breathingRateMax', reason: 'maxNotAboveMin', limit: 8 },
    ]);
    // Both own: reported on the minimum.
    const both = withRule(withRule(none, 'heartRateMin', '100'), 'heartRateMax', '90');
    expect(errorsOf(both)).toEqual([{ field: 'heartRateMin', reason: 'minNotBelowMax', limit: 90 }]);
    // A site's own range is not checked when the resident sets neither end.
    expect(fromFormValues(none, { ...site, heartRateMin: 120 }).ok).toBe(true);
  });
});

describe('bad time', () => {
  it.each(['24:00', '22:60', '2200', '22:00:00', 'noon', '7:5', '-1:00'])('refuses %j', (text) => {
    expect(errorsOf(withRule(toFormValues(full), 'nightEnd', text))).toEqual([
      { field: 'nightEnd', reason: 'badTime' },
    ]);
  });

  it('parses times and numbers on their own', () => {
    expect(parseWallClock('00:00')).toBe('00:00');
    expect(parseWallClock('23:59')).toBe('23:59');
    expect(parseWallClock('9:30')).toBe('09:30');
    expect(parseWallClock('')).toBeNull();
    expect(parseDecimal('.5')).toBe(0.5);
    expect(parseDecimal('-3')).toBe(-3);
    expect(parseDecimal('')).toBeNull();
  });
});
