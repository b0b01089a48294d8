/**
 * Who is in a ring (`RecipientResolver`, DESIGN.md "Alerts"). In a facility: ring 1 is its
 * staff on duty now (their weekly shifts, in the site's zone), ring 2 the supervisors, ring 3 the
 * administrators. A site with no shifts set up at all pages all its staff in ring 1: a roster
 * nobody entered must not silence the first ring. The circle dispatch (responders near a home)
 * becomes another resolver.
 */
import type { Alert, PagedPerson, User } from '@carecircle/protocol';
import type { Repositories } from '../storage/ports';
import { inWeeklyWindow } from '../time/site-time';

export interface RecipientResolver {
  /** The people of `ring` for `alert` at the instant `at` (ms); empty when the ring has nobody. */
  resolve(repos: Repositories, alert: Alert, ring: number, at: number): Promise<PagedPerson[]>;
}

const person = (u: User): PagedPerson => ({ id: u.id, name: u.displayName });

export class FacilityRecipients implements RecipientResolver {
  async resolve(repos: Repositories, alert: Alert, ring: number, at: number): Promise<PagedPerson[]> {
    switch (ring) {
      case 1:
        return this.onDuty(repos, alert.siteId, at);
      case 2:
        return (await repos.users.list({ roles: ['supervisor'], siteId: alert.siteId })).map(person);
      case 3:
        return (await repos.users.list({ roles: ['admin'], siteId: alert.siteId })).map(person);
      default:
        return [];
    }
  }

  private async onDuty(repos: Repositories, siteId: string, at: number): Promise<PagedPerson[]> {
    const staff = (await repos.users.list({ roles: ['staff'], siteId })).filter((u) => u.siteId === siteId);
    const shifts = await repos.users.shiftsAt(siteId);
    if (shifts.size === 0) return staff.map(person);
    const site = await repos.sites.get(siteId);
    const tz = site?.tz ?? 'UTC';
    return staff.filter((u) => (shifts.get(u.id) ?? []).some((s) => inWeeklyWindow(tz, at, s))).map(person);
  }
}
