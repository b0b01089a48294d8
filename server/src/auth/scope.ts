/**
 * What a user may see (DESIGN.md, roles): admin and supervisor every site; staff and
 * responders their own site; family only their own relative.
 */
import type { User } from '@carecircle/protocol';
import type { StateStore } from '../storage/ports';

export interface Scope {
  /** Sites the user sees wholly; `null` means all. */
  siteIds: string[] | null;
  /** For family: the residents they may see (and nothing else). */
  residentIds: string[] | null;
}

export function scopeOf(user: User): Scope {
  switch (user.role) {
    case 'admin':
    case 'supervisor':
      return { siteIds: null, residentIds: null };
    case 'staff':
    case 'responder':
      return { siteIds: user.siteId ? [user.siteId] : [], residentIds: null };
    case 'family':
      return { siteIds: [], residentIds: user.residentId ? [user.residentId] : [] };
    default: {
      const unreachable: never = user.role;
      return unreachable;
    }
  }
}

/** Whether a resident-owned record (alert, resident, device) is within a user's scope. */
export function canSee(scope: Scope, record: { siteId: string; residentId: string | null }): boolean {
  if (scope.residentIds) return record.residentId !== null && scope.residentIds.includes(record.residentId);
  return scope.siteIds === null || scope.siteIds.includes(record.siteId);
}

/** The site ids a user's request is limited to, narrowed by an optional `site` filter. */
export async function siteFilter(scope: Scope, store: StateStore, requested?: string): Promise<string[] | undefined> {
  // Family scope is by resident (callers add `residentIds`); an empty site list would hide everything.
  if (scope.residentIds) return requested === undefined ? undefined : [requested];
  if (requested === undefined) return scope.siteIds ?? undefined;
  const all = scope.siteIds ?? (await store.sites.list()).map((s) => s.id);
  return all.filter((id) => id === requested);
}

/** What a list request may return: the sites (narrowed by `?site=`) and, for family, the residents. */
export interface ListFilter {
  siteIds?: string[];
  residentIds?: string[];
}

export async function listFilter(user: User, store: StateStore, requestedSite?: string): Promise<ListFilter> {
  const scope = scopeOf(user);
  const siteIds = await siteFilter(scope, store, requestedSite);
  return { ...(siteIds ? { siteIds } : {}), ...(scope.residentIds ? { residentIds: scope.residentIds } : {}) };
}
