/**
 * The care rules' settings by people over the API (`http/routes/care.routes.ts`): a site's rule
 * settings (supervisors and admins), a resident's care profile (staff of the site and up), and
 * where a device is placed (staff of its site and up, as installers are). Each answers what is in
 * force with the defaults visible, and each change is audited with who made it.
 */
import {
  CareCircleError,
  type CareRulesPatch,
  DEFAULT_CARE_RULES,
  type Device,
  type DutyShifts,
  effectiveRules,
  type LadderSetting,
  type Placement,
  type ResidentCare,
  type ResidentCareView,
  type Role,
  SEVERITIES,
  type Severity,
  type SiteLadders,
  type SiteRulesView,
  type User,
} from '@carecircle/protocol';
import { canSee, scopeOf } from '../auth/scope';
import { apiDevice } from '../devices/device-flags';
import { checkLadderOrder, DEFAULT_LADDERS, settingOf } from '../escalation/ladders';
import type { StateStore } from '../storage/ports';
import { formatClock, isTimeZone, parseClock } from '../time/site-time';

const SITE_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'supervisor']);
const CARE_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'supervisor', 'staff']);
/** Whose weekly shifts there are: staff (ring 1 of the ladder) and community responders (the circle's roster). */
const SHIFT_ROLES: ReadonlySet<Role> = new Set<Role>(['staff', 'responder']);

export interface SiteLaddersView {
  defaults: Record<Severity, LadderSetting>;
  site: SiteLadders;
  effective: Record<Severity, LadderSetting>;
}

const DEFAULT_LADDER_SETTINGS = Object.fromEntries(SEVERITIES.map((s) => [s, settingOf(DEFAULT_LADDERS[s])])) as Record<
  Severity,
  LadderSetting
>;

const actorOf = (user: User) => ({ type: 'user' as const, id: user.id, name: user.displayName });

export class CareSettings {
  constructor(private readonly deps: { store: StateStore; now: () => string }) {}

  private async visibleSite(user: User, siteId: string) {
    const site = await this.deps.store.sites.get(siteId);
    if (!site || !canSee(scopeOf(user), { siteId, residentId: null })) {
      throw new CareCircleError('ERR_NOT_FOUND', `no site ${siteId}`);
    }
    return site;
  }

  async siteRules(user: User, siteId: string): Promise<SiteRulesView> {
    await this.visibleSite(user, siteId);
    const site = (await this.deps.store.sites.rules(siteId)) ?? {};
    return { defaults: DEFAULT_CARE_RULES, site, effective: effectiveRules(site, {}) };
  }

  async setSiteRules(user: User, siteId: string, rules: CareRulesPatch): Promise<SiteRulesView> {
    const site = await this.visibleSite(user, siteId);
    if (!SITE_ROLES.has(user.role)) throw new CareCircleError('ERR_FORBIDDEN', 'your role cannot change site rules');
    if (!isTimeZone(site.tz)) throw new CareCircleError('ERR_VALIDATION', `the site's time zone ${site.tz} is unknown`);
    await this.deps.store.transaction(async (tx) => {
      await tx.sites.setRules(siteId, rules);
      await tx.audit.record(this.deps.now(), actorOf(user), 'site.rules', siteId, { rules });
    });
    return this.siteRules(user, siteId);
  }

  async siteLadders(user: User, siteId: string): Promise<SiteLaddersView> {
    await this.visibleSite(user, siteId);
    const site = (await this.deps.store.sites.ladders(siteId)) ?? {};
    const effective = { ...DEFAULT_LADDER_SETTINGS, ...site } as Record<Severity, LadderSetting>;
    return { defaults: DEFAULT_LADDER_SETTINGS, site, effective };
  }

  async setSiteLadders(user: User, siteId: string, ladders: SiteLadders): Promise<SiteLaddersView> {
    await this.visibleSite(user, siteId);
    if (!SITE_ROLES.has(user.role)) throw new CareCircleError('ERR_FORBIDDEN', 'your role cannot change ladders');
    checkLadderOrder(ladders);
    await this.deps.store.transaction(async (tx) => {
      await tx.sites.setLadders(siteId, ladders);
      await tx.audit.record(this.deps.now(), actorOf(user), 'site.ladders', siteId, { ladders });
    });
    return this.siteLadders(user, siteId);
  }

  private async visibleResident(user: User, residentId: string) {
    const resident = await this.deps.store.residents.get(residentId);
    if (!resident || !canSee(scopeOf(user), { siteId: resident.siteId, residentId })) {
      throw new CareCircleError('ERR_NOT_FOUND', `no resident ${residentId}`);
    }
    return resident;
  }

  async residentCare(user: User, residentId: string): Promise<ResidentCareView> {
    const resident = await this.visibleResident(user, residentId);
    if (!CARE_ROLES.has(user.role)) throw new CareCircleError('ERR_FORBIDDEN', 'your role cannot see care settings');
    const care = (await this.deps.store.residents.care(residentId)) ?? undefined;
    if (!care) throw new CareCircleError('ERR_NOT_FOUND', `no resident ${residentId}`);
    const site = (await this.deps.store.sites.rules(resident.siteId)) ?? {};
    return { care, effective: effectiveRules(site, care.rules) };
  }

  async setResidentCare(user: User, residentId: string, care: ResidentCare): Promise<ResidentCareView> {
    await this.visibleResident(user, residentId);
    if (!CARE_ROLES.has(user.role)) throw new CareCircleError('ERR_FORBIDDEN', 'your role cannot change care settings');
    await this.deps.store.transaction(async (tx) => {
      await tx.residents.setCare(residentId, care);
      await tx.audit.record(this.deps.now(), actorOf(user), 'resident.care', residentId, { care });
    });
    return this.residentCare(user, residentId);
  }

  /** A staff member's shifts, as people write them; supervisors and admins, or the person. */
  async shifts(user: User, userId: string): Promise<DutyShifts> {
    const staff = await this.visibleStaff(user, userId, false);
    const shifts = await this.deps.store.users.shiftsOf(staff.id);
    return {
      shifts: shifts.map((s) => ({ weekday: s.weekday, start: formatClock(s.start), end: formatClock(s.end) })),
    };
  }

  async setShifts(user: User, userId: string, body: DutyShifts): Promise<DutyShifts> {
    const staff = await this.visibleStaff(user, userId, true);
    const shifts = body.shifts.map((s) => ({
      weekday: s.weekday,
      start: parseClock(s.start) ?? 0,
      end: parseClock(s.end) ?? 0,
    }));
    if (shifts.some((s) => s.start === s.end))
      throw new CareCircleError('ERR_VALIDATION', 'a shift must not end when it starts');
    await this.deps.store.transaction(async (tx) => {
      await tx.users.setShifts(staff.id, shifts);
      await tx.audit.record(this.deps.now(), actorOf(user), 'user.shifts', staff.id, { shifts: shifts.length });
    });
    return this.shifts(user, userId);
  }

  /**
   * Staff or a community responder of a site the caller sees; only supervisors and admins change
   * shifts, the person may read their own.
   */
  private async visibleStaff(user: User, userId: string, changing: boolean): Promise<User> {
    const staff = await this.deps.store.users.get(userId);
    if (!staff || !SHIFT_ROLES.has(staff.role)) throw new CareCircleError('ERR_NOT_FOUND', `no staff member ${userId}`);
    const sees = staff.siteId !== null && canSee(scopeOf(user), { siteId: staff.siteId, residentId: null });
    if (!(sees || staff.id === user.id)) {
      throw new CareCircleError('ERR_NOT_FOUND', `no staff member ${userId}`);
    }
    const may = SITE_ROLES.has(user.role) || (!changing && staff.id === user.id);
    if (!may) throw new CareCircleError('ERR_FORBIDDEN', 'only supervisors and admins manage shifts');
    return staff;
  }

  async placeDevice(user: User, deviceId: string, placement: Placement | null): Promise<Device> {
    return this.deps.store.transaction(async (tx) => {
      const device = await tx.devices.get(deviceId);
      if (!device || !canSee(scopeOf(user), device))
        throw new CareCircleError('ERR_DEVICE_NOT_FOUND', `no device ${deviceId}`);
      if (!CARE_ROLES.has(user.role)) throw new CareCircleError('ERR_FORBIDDEN', 'your role cannot place devices');
      await tx.devices.setPlacement(deviceId, placement);
      await tx.audit.record(this.deps.now(), actorOf(user), 'device.placement', deviceId, { placement });
      return apiDevice({ ...device, placement });
    });
  }
}
