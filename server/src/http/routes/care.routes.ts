import {
  CareRulesPatchSchema,
  DeviceIdParamsSchema,
  DeviceResponseSchema,
  DutyShiftsSchema,
  ErrorResponseSchema,
  LadderSchema,
  PlacementSchema,
  ResidentCareSchema,
  ResidentCareViewSchema,
  SiteLaddersSchema,
  SiteRulesViewSchema,
  systemClock,
} from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { CareSettings } from '../../rules/care-settings';
import type { AppDeps } from '../app';
import { makeRequireUser, userOf } from '../authenticate';

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const LaddersBySeverity = Type.Object({
  critical: LadderSchema,
  high: LadderSchema,
  medium: LadderSchema,
  low: LadderSchema,
});
const SiteLaddersViewSchema = Type.Object({
  defaults: LaddersBySeverity,
  site: SiteLaddersSchema,
  effective: LaddersBySeverity,
});
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
};

export const careRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.addHook('preHandler', makeRequireUser(deps.auth));
  // `AppDeps` has no clock yet: a person's change is stamped with the wall clock.
  const settings = new CareSettings({ store: deps.store, now: () => new Date(systemClock.now()).toISOString() });

  app.get(
    '/sites/:id/rules',
    {
      schema: {
        tags: ['care'],
        summary: "A site's care rule settings: the defaults, the site's own, and what is in force",
        params: Id,
        response: { 200: SiteRulesViewSchema, ...errors },
      },
    },
    async (req) => settings.siteRules(userOf(req), req.params.id),
  );

  app.put(
    '/sites/:id/rules',
    {
      schema: {
        tags: ['care'],
        summary:
          "Replace a site's rule settings (night hours, windows); what is left out is the default. Supervisors, admins",
        params: Id,
        body: CareRulesPatchSchema,
        response: { 200: SiteRulesViewSchema, ...errors },
      },
    },
    async (req) => settings.setSiteRules(userOf(req), req.params.id, req.body),
  );

  app.get(
    '/sites/:id/ladders',
    {
      schema: {
        tags: ['care'],
        summary: "A site's escalation ladders by severity: the defaults, the site's own, and what is in force",
        params: Id,
        response: { 200: SiteLaddersViewSchema, ...errors },
      },
    },
    async (req) => settings.siteLadders(userOf(req), req.params.id),
  );

  app.put(
    '/sites/:id/ladders',
    {
      schema: {
        tags: ['care'],
        summary: "Replace a site's escalation ladders (a severity left out keeps the default). Supervisors, admins",
        params: Id,
        body: SiteLaddersSchema,
        response: { 200: SiteLaddersViewSchema, ...errors },
      },
    },
    async (req) => settings.setSiteLadders(userOf(req), req.params.id, req.body),
  );

  app.get(
    '/residents/:id/care',
    {
      schema: {
        tags: ['care'],
        summary: "A resident's care profile (risk flags, away or in hospital, own settings) and the rules in force",
        params: Id,
        response: { 200: ResidentCareViewSchema, ...errors },
      },
    },
    async (req) => settings.residentCare(userOf(req), req.params.id),
  );

  app.put(
    '/residents/:id/care',
    {
      schema: {
        tags: ['care'],
        summary: "Replace a resident's care profile; staff of the site, supervisors, admins",
        params: Id,
        body: ResidentCareSchema,
        response: { 200: ResidentCareViewSchema, ...errors },
      },
    },
    async (req) => settings.setResidentCare(userOf(req), req.params.id, req.body),
  );

  app.get(
    '/users/:id/shifts',
    {
      schema: {
        tags: ['care'],
        summary: "A staff member's weekly duty shifts (site zone): who ring 1 of the ladder pages",
        params: Id,
        response: { 200: DutyShiftsSchema, ...errors },
      },
    },
    async (req) => settings.shifts(userOf(req), req.params.id),
  );

  app.put(
    '/users/:id/shifts',
    {
      schema: {
        tags: ['care'],
        summary: "Replace a staff member's weekly shifts, e.g. Monday night 22:00–06:00. Supervisors, admins",
        params: Id,
        body: DutyShiftsSchema,
        response: { 200: DutyShiftsSchema, ...errors },
      },
    },
    async (req) => settings.setShifts(userOf(req), req.params.id, req.body),
  );

  app.put(
    '/devices/:id/placement',
    {
      schema: {
        tags: ['care'],
        summary:
          'Say where a device is in the home (exit_door, bedroom, bathroom, kitchen, living_room; null: unknown)',
        params: DeviceIdParamsSchema,
        body: Type.Object({ placement: Type.Union([PlacementSchema, Type.Null()]) }, { additionalProperties: false }),
        response: { 200: DeviceResponseSchema, ...errors },
      },
    },
    async (req) => ({ device: await settings.placeDevice(userOf(req), req.params.id, req.body.placement) }),
  );
};
