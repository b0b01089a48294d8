/**
 * A resident's care profile and the care rules' settings (DESIGN.md, "Alerts"): where devices
 * are placed in a home, who is at risk of wandering, who is away, and the rules' windows —
 * defaults here, overridden per site, and per resident over that.
 */
import Type, { type Static } from 'typebox';

/** Where a device is, as the rules read it. */
export const PLACEMENTS = ['exit_door', 'bedroom', 'bathroom', 'kitchen', 'living_room'] as const;
export type Placement = (typeof PLACEMENTS)[number];
export const PlacementSchema = Type.Enum(PLACEMENTS);

/** `HH:MM`, 00:00–23:59, in the site's time zone. */
export const WallClockSchema = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

export const CareRulesSchema = Type.Object(
  {
    /** Night hours (site zone); a window that ends before it starts crosses midnight. */
    nightStart: WallClockSchema,
    nightEnd: WallClockSchema,
    /** Wandering: an exit door opened at night and nobody seen back inside within this. */
    wanderingReturnMinutes: Type.Number({ minimum: 0.05, maximum: 240 }),
    /** Bed exit: out of bed at night and not back within this. */
    bedExitMinutes: Type.Number({ minimum: 0.05, maximum: 600 }),
    /** Waking hours (site zone): inactivity counts only these. */
    wakingStart: WallClockSchema,
    wakingEnd: WallClockSchema,
    /** Inactivity: no motion, presence, door or bed activity in the home for this many waking hours. */
    inactivityHours: Type.Number({ minimum: 0.5, maximum: 48 }),
    /** Vitals: the ranges, and how long a value must stay outside before it is an alert. */
    heartRateMin: Type.Integer({ minimum: 20, maximum: 200 }),
    heartRateMax: Type.Integer({ minimum: 30, maximum: 250 }),
    breathingRateMin: Type.Integer({ minimum: 2, maximum: 60 }),
    breathingRateMax: Type.Integer({ minimum: 4, maximum: 80 }),
    spo2Min: Type.Integer({ minimum: 50, maximum: 100 }),
    vitalsSustainMinutes: Type.Number({ minimum: 0.05, maximum: 120 }),
  },
  { additionalProperties: false },
);
export type CareRules = Static<typeof CareRulesSchema>;

export const DEFAULT_CARE_RULES: CareRules = {
  nightStart: '22:00',
  nightEnd: '06:00',
  wanderingReturnMinutes: 10,
  bedExitMinutes: 30,
  wakingStart: '07:00',
  wakingEnd: '22:00',
  inactivityHours: 4,
  heartRateMin: 45,
  heartRateMax: 120,
  breathingRateMin: 8,
  breathingRateMax: 25,
  spo2Min: 90,
  vitalsSustainMinutes: 5,
};

/** Settings a site or a resident sets; what is left out comes from the level above. */
export const CareRulesPatchSchema = Type.Partial(CareRulesSchema, { additionalProperties: false });
export type CareRulesPatch = Static<typeof CareRulesPatchSchema>;

/** `away` and `hospital` suspend the rules that watch the home. */
export const RESIDENT_PRESENCE = ['home', 'away', 'hospital'] as const;

export const ResidentCareSchema = Type.Object(
  {
    /** At risk of wandering (dementia, 失智): the wandering rule watches the exit doors at night. */
    wanderingRisk: Type.Boolean(),
    livesAlone: Type.Boolean(),
    presence: Type.Enum(RESIDENT_PRESENCE),
    rules: CareRulesPatchSchema,
  },
  { additionalProperties: false },
);
export type ResidentCare = Static<typeof ResidentCareSchema>;

export const DEFAULT_RESIDENT_CARE: ResidentCare = {
  wanderingRisk: false,
  livesAlone: false,
  presence: 'home',
  rules: {},
};

/** The rules in force for a resident: the defaults, then the site's, then the resident's own. */
export function effectiveRules(site: CareRulesPatch, resident: CareRulesPatch): CareRules {
  return { ...DEFAULT_CARE_RULES, ...site, ...resident };
}

/**
 * An escalation ladder (server `escalation/ladders.ts`): which ring is paged how long after the
 * alert was raised while nobody claimed it, and how often everyone paged is reminded after the
 * last ring (null: never).
 */
export const LadderSchema = Type.Object(
  {
    steps: Type.Array(
      Type.Object(
        { ring: Type.Integer({ minimum: 1, maximum: 9 }), afterSeconds: Type.Number({ minimum: 0, maximum: 86_400 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 9 },
    ),
    reminderEverySeconds: Type.Union([Type.Number({ minimum: 5, maximum: 86_400 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type LadderSetting = Static<typeof LadderSchema>;

/** A site's own ladders by severity; a severity left out keeps the default ladder. */
export const SiteLaddersSchema = Type.Object(
  {
    critical: Type.Optional(LadderSchema),
    high: Type.Optional(LadderSchema),
    medium: Type.Optional(LadderSchema),
    low: Type.Optional(LadderSchema),
  },
  { additionalProperties: false },
);
export type SiteLadders = Static<typeof SiteLaddersSchema>;

/** A staff member's weekly shift, in the site's zone: crossing midnight when it ends before it starts. */
export const DutyShiftSchema = Type.Object(
  { weekday: Type.Integer({ minimum: 1, maximum: 7 }), start: WallClockSchema, end: WallClockSchema },
  { additionalProperties: false },
);
export const DutyShiftsSchema = Type.Object(
  { shifts: Type.Array(DutyShiftSchema, { maxItems: 21 }) },
  { additionalProperties: false },
);
export type DutyShifts = Static<typeof DutyShiftsSchema>;

/** A site's rule settings as the API answers them: the defaults, the site's own, what is in force. */
export const SiteRulesViewSchema = Type.Object({
  defaults: CareRulesSchema,
  site: CareRulesPatchSchema,
  effective: CareRulesSchema,
});
export type SiteRulesView = Static<typeof SiteRulesViewSchema>;

/** A resident's care profile and the rules in force for them (defaults, then site, then own). */
export const ResidentCareViewSchema = Type.Object({ care: ResidentCareSchema, effective: CareRulesSchema });
export type ResidentCareView = Static<typeof ResidentCareViewSchema>;
