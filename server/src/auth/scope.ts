/**
 * What a user may see (DESIGN.md, roles): admin and supervisor every site; staff and
 * responders their own site; family only their own relative.
 */
import type { User } from '@carecircle/protocol';
import type { StateStore } from '../storage/state-store';

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
export function siteFilter(scope: Scope, store: StateStore, requested?: string): string[] | undefined {
  // Family scope is by resident (callers add `residentIds`); an empty site list would hide everything.
  if (scope.residentIds) return requested === undefined ? undefined : [requested];
  const all = scope.siteIds ?? store.sites.list().map((s) => s.id);
  if (requested === undefined) return scope.siteIds ?? undefined;
  return all.filter((id) => id === requested);
}

/** What a list request may return: the sites (narrowed by `?site=`) and, for family, the residents. */
export interface ListFilter {
  siteIds?: string[];
  residentIds?: string[];
}

export function listFilter(user: User, store: StateStore, requestedSite?: string): ListFilter {
  const scope = scopeOf(user);
  const siteIds = siteFilter(scope, store, requestedSite);
  return { ...(siteIds ? { siteIds } : {}), ...(scope.residentIds ? { residentIds: scope.residentIds } : {}) };
}
