/**
 * Which site the board shows, and that the choice survives a reload: the address (`?site=`, so a
 * wall screen can be bookmarked) first, then what this browser chose last, then the user's own
 * site. `all` is every site at once, for those who may see several.
 */
import type { MeResponse } from '@carecircle/protocol';

export const ALL_SITES = 'all';
export type SiteChoice = string; // a site id, or ALL_SITES
const KEY = 'carecircle.site';

function allowed(me: MeResponse, choice: string | null): choice is string {
  if (choice === null) return false;
  if (choice === ALL_SITES) return me.sites.length > 1;
  return me.sites.some((s) => s.id === choice);
}

export function initialSite(me: MeResponse, search: string, stored: string | null): SiteChoice | null {
  const fromUrl = new URLSearchParams(search).get('site');
  if (allowed(me, fromUrl)) return fromUrl;
  if (allowed(me, stored)) return stored;
  if (me.user.siteId !== null && allowed(me, me.user.siteId)) return me.user.siteId;
  if (me.sites.length > 1) return ALL_SITES;
  return me.sites[0]?.id ?? null;
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function loadSiteChoice(me: MeResponse): SiteChoice | null {
  return initialSite(me, window.location.search, storage()?.getItem(KEY) ?? null);
}

/** Remembers the choice in the address (replacing, not adding, a history entry) and the browser. */
export function saveSiteChoice(choice: SiteChoice): void {
  storage()?.setItem(KEY, choice);
  const url = new URL(window.location.href);
  url.searchParams.set('site', choice);
  window.history.replaceState(window.history.state, '', url);
}
