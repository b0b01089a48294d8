/**
 * The 15-minute service circle (一刻钟服务圈, DESIGN.md "Alerts"): community responders, how they
 * travel, where they are, and when they are on duty. Dispatch ranks them by estimated travel
 * time to an elder's home (server `circle/`).
 */
import Type, { type Static } from 'typebox';
import { ISO_TIMESTAMP } from './events';

export const TRAVEL_MODES = ['walk', 'bicycle', 'ebike', 'car'] as const;
export type TravelMode = (typeof TRAVEL_MODES)[number];
export const TravelModeSchema = Type.Enum(TRAVEL_MODES);

/** Urban door-to-door speeds (km/h) the straight-line estimate divides by; configurable per site later. */
export const DEFAULT_SPEEDS_KMH: Readonly<Record<TravelMode, number>> = {
  walk: 4.5,
  bicycle: 12,
  ebike: 18,
  car: 22,
};

/** The circle's promise: someone at the door within this many minutes of the alarm. */
export const DEFAULT_PROMISE_MINUTES = 15;
/** Straight-line distance × this ≈ the distance along streets. */
export const DEFAULT_DETOUR_FACTOR = 1.4;
/** A live position older than this no longer replaces the home base. */
export const POSITION_FRESH_MS = 10 * 60_000;

export const GeoPointSchema = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);
export type GeoPoint = Static<typeof GeoPointSchema>;

/** `roster`: on duty during their weekly shifts; `on` / `off`: the phone view's toggle, until changed. */
export const DUTY_MODES = ['roster', 'on', 'off'] as const;
export type DutyMode = (typeof DUTY_MODES)[number];

/** A live position from the phone view (browser geolocation). */
export const ResponderPositionSchema = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    /** Metres, as the browser reports it. */
    accuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type ResponderPositionInput = Static<typeof ResponderPositionSchema>;

/** A responder as the API answers: the user, their station, how they travel, where they are. */
export const ResponderSchema = Type.Object({
  userId: Type.String(),
  displayName: Type.String(),
  /** The community station (a site of kind `station`) they respond for. */
  stationId: Type.String(),
  travelMode: TravelModeSchema,
  homeBase: GeoPointSchema,
  duty: Type.Enum(DUTY_MODES),
  /** The last live position, null until one is shared; it counts while fresh (`POSITION_FRESH_MS`). */
  position: Type.Union([
    Type.Object({
      lat: Type.Number(),
      lon: Type.Number(),
      accuracy: Type.Union([Type.Number(), Type.Null()]),
      at: ISO_TIMESTAMP,
    }),
    Type.Null(),
  ]),
});
export type Responder = Static<typeof ResponderSchema>;

/** `POST /api/v1/responders`: a new responder user at a station, with a one-time password. */
export const CreateResponderRequestSchema = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9._-]{2,64}$' }),
    displayName: Type.String({ minLength: 1, maxLength: 100 }),
    stationId: Type.String({ minLength: 1, maxLength: 64 }),
    travelMode: TravelModeSchema,
    homeBase: GeoPointSchema,
  },
  { additionalProperties: false },
);
export type CreateResponderRequest = Static<typeof CreateResponderRequestSchema>;

/** The new responder and their one-time password (shown only here, stored only as a hash). */
export const CreateResponderResponseSchema = Type.Object({ responder: ResponderSchema, password: Type.String() });
export type CreateResponderResponse = Static<typeof CreateResponderResponseSchema>;

export const ResponderResponseSchema = Type.Object({ responder: ResponderSchema });
export type ResponderResponse = Static<typeof ResponderResponseSchema>;

export const RespondersResponseSchema = Type.Object({ responders: Type.Array(ResponderSchema) });
export type RespondersResponse = Static<typeof RespondersResponseSchema>;

/** `PUT /api/v1/responders/:id/duty`: the phone view's toggle, or back to the roster. */
export const ResponderDutyRequestSchema = Type.Object({ duty: Type.Enum(DUTY_MODES) }, { additionalProperties: false });
export type ResponderDutyRequest = Static<typeof ResponderDutyRequestSchema>;
