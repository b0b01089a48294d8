/**
 * REST shapes under `/api/v1` (DESIGN.md, "External interface"). The server declares its route
 * schemas with these; the dashboard and tests read the same types.
 */
import Type, { type Static } from 'typebox';
import { AlertKindSchema, AlertSchema, AlertStateSchema, AlertTimelineEntrySchema, OutcomeSchema } from './alerts';
import { PlacementSchema, RESIDENT_PRESENCE } from './care';
import { DEVICE_TYPES } from './devices';
import { ISO_TIMESTAMP } from './events';
import { DEVICE_FLAG_REASONS } from './ports';
import { ROLES } from './roles';

export const API_PREFIX = '/api/v1';
/** Cookie the browser may use instead of the bearer header. */
export const SESSION_COOKIE = 'cc_session';

export const ErrorResponseSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});
export type ErrorResponse = Static<typeof ErrorResponseSchema>;

export const LoginRequestSchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequestSchema>;

export const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: Type.Enum(ROLES),
  siteId: Type.Union([Type.String(), Type.Null()]),
  residentId: Type.Union([Type.String(), Type.Null()]),
});
export type User = Static<typeof UserSchema>;

export const LoginResponseSchema = Type.Object({
  token: Type.String(),
  expiresAt: ISO_TIMESTAMP,
  user: UserSchema,
});
export type LoginResponse = Static<typeof LoginResponseSchema>;

export const AlertListQuerySchema = Type.Object(
  {
    /** `active`: open to on scene; `closed`: resolved or cancelled, newest closed first. */
    state: Type.Optional(Type.Union([AlertStateSchema, Type.Literal('active'), Type.Literal('closed')])),
    site: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(AlertKindSchema),
    /** Care alerts (a person) or technical ones (a device). */
    category: Type.Optional(Type.Union([Type.Literal('care'), Type.Literal('technical')])),
    /** Closed (resolved or cancelled) at or after this instant: today's history, say. */
    closedFrom: Type.Optional(ISO_TIMESTAMP),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
export type AlertListQuery = Static<typeof AlertListQuerySchema>;

export const AlertListResponseSchema = Type.Object({ alerts: Type.Array(AlertSchema) });
export type AlertListResponse = Static<typeof AlertListResponseSchema>;

export const AlertDetailResponseSchema = Type.Object({
  alert: AlertSchema,
  timeline: Type.Array(AlertTimelineEntrySchema),
});
export type AlertDetailResponse = Static<typeof AlertDetailResponseSchema>;

export const AlertIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const AlertNoteBodySchema = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);

export const ResolveBodySchema = Type.Object(
  {
    outcome: OutcomeSchema,
    note: Type.String({ maxLength: 2000 }),
  },
  { additionalProperties: false },
);
export type ResolveBody = Static<typeof ResolveBodySchema>;

export const AlertResponseSchema = Type.Object({ alert: AlertSchema });
export type AlertResponse = Static<typeof AlertResponseSchema>;

/** A resident's status on the live board. */
export const RESIDENT_STATUSES = ['ok', 'alert', 'device_problem'] as const;
export type ResidentStatus = (typeof RESIDENT_STATUSES)[number];

export const ResidentSchema = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  homeId: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  room: Type.Union([Type.String(), Type.Null()]),
  status: Type.Enum(RESIDENT_STATUSES),
  activeAlerts: Type.Integer({ minimum: 0 }),
  deviceCount: Type.Integer({ minimum: 0 }),
  /** From the care profile: away or in hospital pauses the home rules; at risk of wandering. */
  presence: Type.Enum(RESIDENT_PRESENCE),
  wanderingRisk: Type.Boolean(),
});
export type Resident = Static<typeof ResidentSchema>;

export const ResidentListQuerySchema = Type.Object(
  { site: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);
export const ResidentListResponseSchema = Type.Object({ residents: Type.Array(ResidentSchema) });
export type ResidentListResponse = Static<typeof ResidentListResponseSchema>;

export const SiteSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Enum(['facility', 'station'] as const),
  tz: Type.String(),
});
export type Site = Static<typeof SiteSchema>;

/**
 * What a supervisor sees of every site at once (`GET /api/v1/sites/overview`): how many alerts
 * are active there, care and technical apart, and how many critical ones nobody has claimed.
 */
export const SiteOverviewSchema = Type.Object({
  site: SiteSchema,
  /** Active care alerts (a person) and technical ones (a device). */
  care: Type.Integer({ minimum: 0 }),
  technical: Type.Integer({ minimum: 0 }),
  /** Active critical alerts still open (nobody claimed them). */
  unclaimedCritical: Type.Integer({ minimum: 0 }),
  /** When the oldest still-open alert of any severity was raised; null when none is open. */
  oldestOpenAt: Type.Union([ISO_TIMESTAMP, Type.Null()]),
});
export type SiteOverview = Static<typeof SiteOverviewSchema>;
export const SiteOverviewResponseSchema = Type.Object({ sites: Type.Array(SiteOverviewSchema) });
export type SiteOverviewResponse = Static<typeof SiteOverviewResponseSchema>;

export const MeResponseSchema = Type.Object({ user: UserSchema, sites: Type.Array(SiteSchema) });
export type MeResponse = Static<typeof MeResponseSchema>;

export const HEALTH_STATUSES = ['ok', 'degraded', 'failing'] as const;

const LogHealthSchema = Type.Object({
  head: Type.Integer(),
  consumers: Type.Record(Type.String(), Type.Object({ offset: Type.Integer(), lag: Type.Integer() })),
});

/** What a CareCircle process runs (`CARECIRCLE_ROLE`; the server's config.ts says what each is). */
export const PROCESS_ROLES = ['all', 'gateway', 'server'] as const;

export const HealthResponseSchema = Type.Object({
  /**
   * `failing` (HTTP 503): alarms cannot get through — the database or the journal cannot write,
   * or device intake is down; a supervisor or load balancer should act. `degraded` (200): alarms
   * get through but something lags. Each reason says what.
   */
  status: Type.Enum(HEALTH_STATUSES),
  reasons: Type.Array(Type.String()),
  version: Type.String(),
  /** What this process runs: its checks and its logs' consumers are its own. */
  role: Type.Enum(PROCESS_ROLES),
  uptimeSeconds: Type.Number(),
  checks: Type.Object({
    database: Type.Boolean(),
    /** Null in the `server` role, which takes no device connections. */
    gateway: Type.Union([Type.Boolean(), Type.Null()]),
    /** False while the journal's last write failed (a full disk, say) and none has succeeded since. */
    journal: Type.Boolean(),
  }),
  /** The device journal: its head (summed over partitions) and each consumer's offset and lag. */
  journal: LogHealthSchema,
  /** The alert stream, likewise. */
  alerts: LogHealthSchema,
});
export type HealthResponse = Static<typeof HealthResponseSchema>;

/** A device as operators see it: what it is, whose it is, and how it last reported. */
export const DeviceSchema = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  residentId: Type.Union([Type.String(), Type.Null()]),
  type: Type.Enum(DEVICE_TYPES),
  enabled: Type.Boolean(),
  /** `null` until the device has said anything. */
  online: Type.Union([Type.Boolean(), Type.Null()]),
  lastSeenAt: Type.Union([ISO_TIMESTAMP, Type.Null()]),
  battery: Type.Union([Type.Number(), Type.Null()]),
  /**
   * Set when the gateway flagged the device (it flooded and was disconnected), for an installer
   * or supervisor to look at; a flagged device is not refused. Kept until a person clears it.
   */
  flaggedAt: Type.Union([ISO_TIMESTAMP, Type.Null()]),
  flagReason: Type.Union([Type.Enum(DEVICE_FLAG_REASONS), Type.Null()]),
  /** Where it is in the home, as the care rules read it (`exit_door`, `bedroom`…); null until set. */
  placement: Type.Union([PlacementSchema, Type.Null()]),
});
export type Device = Static<typeof DeviceSchema>;

export const DeviceIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const DeviceResponseSchema = Type.Object({ device: DeviceSchema });
export type DeviceResponse = Static<typeof DeviceResponseSchema>;

export const DeviceListQuerySchema = Type.Object(
  { site: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);
export const DeviceListResponseSchema = Type.Object({ devices: Type.Array(DeviceSchema) });
export type DeviceListResponse = Static<typeof DeviceListResponseSchema>;
