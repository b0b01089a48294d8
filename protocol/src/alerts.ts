/** Alert vocabulary (DESIGN.md, "Alerts"): kinds, severities, lifecycle states and outcomes. */
import Type, { type Static } from 'typebox';
import { ISO_TIMESTAMP } from './events';

export const CARE_ALERT_KINDS = ['sos', 'fall', 'wandering', 'bed_exit', 'inactivity', 'vitals'] as const;
export const TECHNICAL_ALERT_KINDS = ['device_offline', 'low_battery', 'tamper'] as const;
export const ALERT_KINDS = [...CARE_ALERT_KINDS, ...TECHNICAL_ALERT_KINDS] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertCategory = 'care' | 'technical';

export function alertCategory(kind: AlertKind): AlertCategory {
  return (CARE_ALERT_KINDS as readonly string[]).includes(kind) ? 'care' : 'technical';
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_STATES = ['open', 'acknowledged', 'en_route', 'on_scene', 'resolved', 'cancelled'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
/** States in which an alert is still active: a repeat of the same kind counts against it. */
export const ACTIVE_ALERT_STATES = [
  'open',
  'acknowledged',
  'en_route',
  'on_scene',
] as const satisfies readonly AlertState[];

export const OUTCOMES = [
  'emergency_handled',
  'assisted_no_injury',
  'false_alarm',
  'test',
  'cancelled_by_resident',
  /** A technical alert the device itself closed: back online, battery replaced. */
  'device_recovered',
  'other',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Allowed lifecycle transitions; everything else is `ERR_ALERT_TRANSITION`. */
export const ALERT_TRANSITIONS: Readonly<Record<AlertState, readonly AlertState[]>> = {
  open: ['acknowledged', 'resolved', 'cancelled'],
  acknowledged: ['en_route', 'on_scene', 'resolved'],
  en_route: ['on_scene', 'resolved'],
  on_scene: ['resolved'],
  resolved: [],
  cancelled: [],
};

export function canTransition(from: AlertState, to: AlertState): boolean {
  return ALERT_TRANSITIONS[from].includes(to);
}

export const AlertKindSchema = Type.Enum(ALERT_KINDS);
export const SeveritySchema = Type.Enum(SEVERITIES);
export const AlertStateSchema = Type.Enum(ALERT_STATES);
export const OutcomeSchema = Type.Enum(OUTCOMES);

/** Who did something: a user, or the system itself (rules, timers, devices). */
export const ActorSchema = Type.Object({
  type: Type.Union([Type.Literal('user'), Type.Literal('system'), Type.Literal('device')]),
  id: Type.String(),
  name: Type.String(),
});
export type Actor = Static<typeof ActorSchema>;

export const AlertSchema = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  residentId: Type.Union([Type.String(), Type.Null()]),
  residentName: Type.Union([Type.String(), Type.Null()]),
  room: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.String(),
  kind: AlertKindSchema,
  category: Type.Union([Type.Literal('care'), Type.Literal('technical')]),
  severity: SeveritySchema,
  state: AlertStateSchema,
  /** How many times the same condition was reported while this alert was active. */
  count: Type.Integer({ minimum: 1 }),
  /** The device's timestamp of the first event that raised it. */
  firstEventTs: ISO_TIMESTAMP,
  lastEventTs: ISO_TIMESTAMP,
  raisedAt: ISO_TIMESTAMP,
  updatedAt: ISO_TIMESTAMP,
  acknowledgedAt: Type.Union([ISO_TIMESTAMP, Type.Null()]),
  acknowledgedBy: Type.Union([ActorSchema, Type.Null()]),
  resolvedAt: Type.Union([ISO_TIMESTAMP, Type.Null()]),
  outcome: Type.Union([OutcomeSchema, Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  /** The highest ring of its escalation ladder paged so far (null before the first page). */
  ring: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  /** When its ladder last paged (a ring or a reminder). */
  pagedAt: Type.Union([ISO_TIMESTAMP, Type.Null()]),
});
export type Alert = Static<typeof AlertSchema>;

/**
 * `cancel_declined`: the resident cancelled too late, or after someone had claimed the alert.
 * `paged`: the escalation ladder paged a ring of people (or reminded them).
 */
export const ALERT_TIMELINE_ACTIONS = ['raised', 'repeated', 'transition', 'cancel_declined', 'paged'] as const;

/** Someone a ladder paged: enough to show on the timeline and to find their live sessions. */
export const PagedPersonSchema = Type.Object({ id: Type.String(), name: Type.String() });
export type PagedPerson = Static<typeof PagedPersonSchema>;

/** What a `paged` entry says: which ring, whether it was a reminder, and who. */
export const PageSchema = Type.Object({
  ring: Type.Integer({ minimum: 1 }),
  reminder: Type.Boolean(),
  recipients: Type.Array(PagedPersonSchema),
});
export type Page = Static<typeof PageSchema>;

/**
 * What a care rule saw, as data, so each screen says it in its reader's language (the entry's
 * `note` says the same in English for logs and the CLI):
 * `bed_empty` / `exit_door_opened` / `activity_again` at `at`; `not_back_inside` (wandering) and
 * `not_back_in_bed` within `minutes`; `no_activity` since `at` for `minutes` of waking time;
 * `vital_outside`: `vital` at `value`, outside `min`–`max` (a null bound: none), since `at` for `minutes`.
 */
export const ALERT_FACTS = [
  'bed_empty',
  'exit_door_opened',
  'not_back_inside',
  'not_back_in_bed',
  'no_activity',
  'activity_again',
  'vital_outside',
] as const;
export const VITAL_SIGNS = ['heart_rate', 'breathing_rate', 'spo2'] as const;
export type VitalSign = (typeof VITAL_SIGNS)[number];

export const AlertFactSchema = Type.Object({
  what: Type.Enum(ALERT_FACTS),
  at: Type.Union([ISO_TIMESTAMP, Type.Null()]),
  minutes: Type.Union([Type.Number(), Type.Null()]),
  vital: Type.Union([Type.Enum(VITAL_SIGNS), Type.Null()]),
  value: Type.Union([Type.Number(), Type.Null()]),
  min: Type.Union([Type.Number(), Type.Null()]),
  max: Type.Union([Type.Number(), Type.Null()]),
});
export type AlertFact = Static<typeof AlertFactSchema>;

/** A fact with only what it says; the rest null. */
export function fact(what: AlertFact['what'], parts: Partial<Omit<AlertFact, 'what'>> = {}): AlertFact {
  return { what, at: null, minutes: null, vital: null, value: null, min: null, max: null, ...parts };
}

/** One entry of an alert's timeline: every transition is timestamped and attributed. */
export const AlertTimelineEntrySchema = Type.Object({
  seq: Type.Integer(),
  at: ISO_TIMESTAMP,
  action: Type.Enum(ALERT_TIMELINE_ACTIONS),
  fromState: Type.Union([AlertStateSchema, Type.Null()]),
  toState: AlertStateSchema,
  actor: ActorSchema,
  eventId: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([OutcomeSchema, Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  /** Set on `paged` entries. */
  page: Type.Union([PageSchema, Type.Null()]),
  /** Set where a care rule raised or closed it: what it saw. */
  facts: Type.Union([Type.Array(AlertFactSchema), Type.Null()]),
});
export type AlertTimelineEntry = Static<typeof AlertTimelineEntrySchema>;
