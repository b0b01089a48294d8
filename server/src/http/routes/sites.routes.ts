import { ErrorResponseSchema, type SiteOverview, SiteOverviewResponseSchema } from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { scopeOf } from '../../auth/scope';
import type { AppDeps } from '../app';
import { makeRequireUser, staffOnly, userOf } from '../authenticate';

export const siteRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.addHook('preHandler', makeRequireUser(deps.auth));

  app.get(
    '/sites/overview',
    {
      schema: {
        tags: ['sites'],
        summary:
          'Every site the caller may see, by name, with its active alerts counted: care, technical, critical ones nobody claimed, and when the oldest open one was raised',
        response: {
          200: SiteOverviewResponseSchema,
          401: ErrorResponseSchema,
          403: ErrorResponseSchema,
        },
      },
    },
    async (req) => {
      const user = staffOnly(userOf(req), 'the site overview');
      // Admins and supervisors: every site (null); staff: their own (none without one).
      const siteIds = scopeOf(user).siteIds ?? undefined;
      const [sites, counts] = await Promise.all([
        deps.store.sites.list(siteIds),
        deps.store.alerts.activeCountsBySite(siteIds),
      ]);
      const bySite = new Map(counts.map((c) => [c.siteId, c]));
      const overview = sites.map((site): SiteOverview => {
        const c = bySite.get(site.id);
        return {
          site,
          care: c?.care ?? 0,
          technical: c?.technical ?? 0,
          unclaimedCritical: c?.unclaimedCritical ?? 0,
          oldestOpenAt: c?.oldestOpenAt ?? null,
        };
      });
      return { sites: overview };
    },
  );
};
