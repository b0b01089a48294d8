/**
 * A resident's care profile as the care dialog edits it: every rule setting as the text of its
 * input (empty: the resident has no own value and inherits the site's), and back again, checked
 * against the protocol's limits before it is sent so the form can say which field is wrong and why.
 * The limits are read from `CareRulesSchema`, so they cannot drift from what the server accepts.
 */
import {
  type CareRules,
  type CareRulesPatch,
  CareRulesSchema,
  RESIDENT_PRESENCE,
  type ResidentCare,
  WallClockSchema,
} from '@carecircle/protocol';

export type Presence = (typeof RESIDENT_PRESENCE)[number];
export const PRESENCES: readonly Presence[] = RESIDENT_PRESENCE;

export type CareRuleField = keyof CareRules;

/** The rule settings in the order the form shows them, grouped as staff think of them. */
export const CARE_RULE_GROUPS = {
  night: ['nightStart', 'nightEnd', 'wanderingReturnMinutes', 'bedExitMinutes'],
  day: ['wakingStart', 'wakingEnd', 'inactivityHours'],
  vitals: ['heartRateMin', 'heartRateMax', 'breathingRateMin', 'breathingRateMax', 'spo2Min', 'vitalsSustainMinutes'],
} as const satisfies Record<string, readonly CareRuleField[]>;

export type CareRuleGroup = keyof typeof CARE_RULE_GROUPS;

export const CARE_RULE_FIELDS: readonly CareRuleField[] = Object.values(CARE_RULE_GROUPS).flat();

// Every setting of the protocol has a place in the form: a new one fails to compile here.
type Unplaced = Exclude<CareRuleField, (typeof CARE_RULE_GROUPS)[CareRuleGroup][number]>;
const everyFieldPlaced: [Unplaced] extends [never] ? true : Unplaced = true;
void everyFieldPlaced;

export type CareRuleSpec =
  | { field: CareRuleField; kind: 'time' }
  | { field: CareRuleField; kind: 'number'; min: number; max: number; integer: boolean; step: '1' | 'any' };

interface JsonSchemaLimits {
  type?: string;
  minimum?: number;
  maximum?: number;
}

function specOf(field: CareRuleField): CareRuleSpec {
  const schema = CareRulesSchema.properties[field] as JsonSchemaLimits;
  if (schema.type === 'string') return { field, kind: 'time' };
  const integer = schema.type === 'integer';
  return {
    field,
    kind: 'number',
    min: schema.minimum ?? Number.NEGATIVE_INFINITY,
    max: schema.maximum ?? Number.POSITIVE_INFINITY,
    integer,
    // The schema allows any fraction within the limits (0.05 min is 3 s), so only whole numbers step.
    step: integer ? '1' : 'any',
  };
}

export const CARE_RULE_SPECS: Readonly<Record<CareRuleField, CareRuleSpec>> = Object.fromEntries(
  CARE_RULE_FIELDS.map((f) => [f, specOf(f)]),
) as Record<CareRuleField, CareRuleSpec>;

/** Pairs whose minimum must stay below the maximum, in force (own value, else the site's). */
const RANGES: readonly (readonly [CareRuleField, CareRuleField])[] = [
  ['heartRateMin', 'heartRateMax'],
  ['breathingRateMin', 'breathingRateMax'],
];

/** The other end of a range, so an edit to one clears an error about the pair. */
export function rangePartner(field: CareRuleField): CareRuleField | null {
  for (const [min, max] of RANGES) {
    if (field === min) return max;
    if (field === max) return min;
  }
  return null;
}

export interface CareFormValues {
  presence: Presence;
  wanderingRisk: boolean;
  livesAlone: boolean;
  /** Each setting's input text; '' is no own value (the site's applies). */
  rules: Record<CareRuleField, string>;
}

export type CareFormErrorReason =
  | 'notANumber'
  | 'notAnInteger'
  | 'tooSmall'
  | 'tooLarge'
  | 'badTime'
  | 'minNotBelowMax'
  | 'maxNotAboveMin';

export interface CareFormError {
  field: CareRuleField;
  reason: CareFormErrorReason;
  /** tooSmall / tooLarge: the schema's limit; minNotBelowMax / maxNotAboveMin: the other end in force. */
  limit?: number;
}

export type CareFormResult = { ok: true; care: ResidentCare } | { ok: false; errors: CareFormError[] };

/** A setting as its input shows it. */
export function formatRuleValue(value: string | number): string {
  return typeof value === 'number' ? String(value) : value;
}

export function toFormValues(care: ResidentCare): CareFormValues {
  const rules = {} as Record<CareRuleField, string>;
  for (const field of CARE_RULE_FIELDS) {
    const own = care.rules[field];
    rules[field] = own === undefined ? '' : formatRuleValue(own);
  }
  return { presence: care.presence, wanderingRisk: care.wanderingRisk, livesAlone: care.livesAlone, rules };
}

/** Whether the resident has an own value for the setting (text typed, even if not yet valid). */
export function isOverridden(values: CareFormValues, field: CareRuleField): boolean {
  return values.rules[field].trim() !== '';
}

const WALL_CLOCK = new RegExp((WallClockSchema as { pattern?: string }).pattern ?? '^([01][0-9]|2[0-3]):[0-5][0-9]$');
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** `HH:MM`, with a lone hour digit padded (`7:30`); null when it is no time of day. */
export function parseWallClock(text: string): string | null {
  const trimmed = text.trim();
  const padded = /^\d:\d\d$/.test(trimmed) ? `0${trimmed}` : trimmed;
  return WALL_CLOCK.test(padded) ? padded : null;
}

/** A decimal number as people type it (a decimal comma too); null when it is not one. */
export function parseDecimal(text: string): number | null {
  const normalised = text.trim().replace(',', '.');
  if (!DECIMAL.test(normalised)) return null;
  const value = Number(normalised);
  return Number.isFinite(value) ? value : null;
}

/**
 * The profile to send, or every field that is wrong and why. `site` is what the resident inherits
 * (for the range checks); `unreadable` lists inputs whose text the browser could not read as a
 * number or time (`validity.badInput`): their value reads as '', yet they are not empty.
 */
export function fromFormValues(
  values: CareFormValues,
  site: CareRules,
  unreadable: ReadonlySet<CareRuleField> = new Set(),
): CareFormResult {
  const errors: CareFormError[] = [];
  const rules: Record<string, string | number> = {};

  for (const field of CARE_RULE_FIELDS) {
    const spec = CARE_RULE_SPECS[field];
    const text = values.rules[field];
    if (unreadable.has(field)) {
      errors.push({ field, reason: spec.kind === 'time' ? 'badTime' : 'notANumber' });
      continue;
    }
    if (text.trim() === '') continue;
    if (spec.kind === 'time') {
      const clock = parseWallClock(text);
      if (clock === null) errors.push({ field, reason: 'badTime' });
      else rules[field] = clock;
      continue;
    }
    const value = parseDecimal(text);
    if (value === null) errors.push({ field, reason: 'notANumber' });
    else if (spec.integer && !Number.isInteger(value)) errors.push({ field, reason: 'notAnInteger' });
    else if (value < spec.min) errors.push({ field, reason: 'tooSmall', limit: spec.min });
    else if (value > spec.max) errors.push({ field, reason: 'tooLarge', limit: spec.max });
    else rules[field] = value;
  }

  // A range is checked as it will be in force, but only when the resident sets an end of it:
  // a site's own odd range is not this form's to refuse.
  for (const [min, max] of RANGES) {
    const ownMin = rules[min];
    const ownMax = rules[max];
    if (ownMin === undefined && ownMax === undefined) continue;
    if (errors.some((e) => e.field === min || e.field === max)) continue;
    const low = Number(ownMin ?? site[min]);
    const high = Number(ownMax ?? site[max]);
    if (low < high) continue;
    if (ownMin !== undefined) errors.push({ field: min, reason: 'minNotBelowMax', limit: high });
    else errors.push({ field: max, reason: 'maxNotAboveMin', limit: low });
  }

  if (errors.length > 0) {
    const order = (e: CareFormError) => CARE_RULE_FIELDS.indexOf(e.field);
    return { ok: false, errors: errors.sort((a, b) => order(a) - order(b)) };
  }
  return {
    ok: true,
    care: {
      wanderingRisk: values.wanderingRisk,
      livesAlone: values.livesAlone,
      presence: values.presence,
      rules: rules as CareRulesPatch,
    },
  };
}
