/**
 * Creating sites, homes, residents, devices and users. Used by the admin CLI and the demo
 * seeder. A device secret or initial password is generated here, returned once, and stored
 * only as a hash.
 */
import {
  type Actor,
  CareCircleError,
  type CareRulesPatch,
  CareRulesPatchSchema,
  type Clock,
  compileValidator,
  DEVICE_TYPES,
  type DeviceRecord,
  type DeviceType,
  formatIssues,
  PLACEMENTS,
  type Placement,
  type ResidentCare,
  ResidentCareSchema,
  ROLES,
  type Role,
  type Site,
  type SiteLadders,
  SiteLaddersSchema,
  type User,
} from '@carecircle/protocol';
import type { DeviceSecrets } from '../auth/device-secrets';
import { generateSecret, hashSecret, type SecretCost } from '../auth/secrets';
import { checkLadderOrder } from '../escalation/ladders';
import type { DutyShift, HomeRecord, ResidentRecord, StateStore } from '../storage/ports';
import { isTimeZone, parseClock } from '../time/site-time';

const CLI_ACTOR: Actor = { type: 'system', id: 'admin-cli', name: 'admin CLI' };

const siteRules = compileValidator(CareRulesPatchSchema);
const residentCare = compileValidator(ResidentCareSchema);
const siteLaddersValidator = compileValidator(SiteLaddersSchema);

/** `"1 22:00-06:00"`: ISO weekday (1 Monday … 7 Sunday), then the shift in the site's zone. */
export function parseShift(text: string): DutyShift {
  const m = /^([1-7])\s+(\d\d:\d\d)-(\d\d:\d\d)$/.exec(text.trim());
  const start = m ? parseClock(m[2]!) : null;
  const end = m ? parseClock(m[3]!) : null;
  if (!m || start === null || end === null || start === end) {
    throw new CareCircleError(
      'ERR_VALIDATION',
      `a shift is "<weekday 1-7> HH:MM-HH:MM" (e.g. "1 22:00-06:00" for Monday night), got ${JSON.stringify(text)}`,
    );
  }
  return { weekday: Number(m[1]), start, end };
}

export class ProvisioningService {
  constructor(
    private readonly deps: {
      store: StateStore;
      clock: Clock;
      /** How device secrets are stored (an HMAC under the data directory's key). */
      deviceSecrets: DeviceSecrets;
      /** scrypt cost of people's passwords; tests pass a cheap one. */
      hashCost?: SecretCost;
      /** Told of every device whose record changed, so caches drop it at once. */
      onDeviceChanged?: (deviceId: string) => void;
    },
    private readonly actor: Actor = CLI_ACTOR,
  ) {}

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  private hash(secret: string): Promise<string> {
    return hashSecret(secret, this.deps.hashCost);
  }

  private async requireSite(siteId: string): Promise<Site> {
    const site = await this.deps.store.sites.get(siteId);
    if (!site) throw new CareCircleError('ERR_NOT_FOUND', `no site ${siteId}`);
    return site;
  }

  async addSite(input: { name: string; kind?: Site['kind']; tz?: string }): Promise<Site> {
    const name = input.name.trim();
    if (!name) throw new CareCircleError('ERR_VALIDATION', 'site name must not be empty');
    const tz = input.tz ?? 'Asia/Shanghai';
    if (!isTimeZone(tz)) throw new CareCircleError('ERR_VALIDATION', `unknown time zone ${tz}`);
    const site = await this.deps.store.sites.create({ name, kind: input.kind ?? 'facility', tz }, this.now());
    await this.deps.store.audit.record(this.now(), this.actor, 'site.add', site.id);
    return site;
  }

  async addHome(input: { siteId: string; address: string; lat: number; lon: number }): Promise<HomeRecord> {
    await this.requireSite(input.siteId);
    if (!(Math.abs(input.lat) <= 90) || !(Math.abs(input.lon) <= 180)) {
      throw new CareCircleError('ERR_VALIDATION', 'lat must be within ±90 and lon within ±180');
    }
    const home = await this.deps.store.sites.addHome(input, this.now());
    await this.deps.store.audit.record(this.now(), this.actor, 'home.add', home.id);
    return home;
  }

  async addResident(input: { siteId: string; homeId?: string; name: string; room?: string }): Promise<ResidentRecord> {
    await this.requireSite(input.siteId);
    if (input.homeId) {
      const home = await this.deps.store.sites.getHome(input.homeId);
      if (!home || home.siteId !== input.siteId) {
        throw new CareCircleError('ERR_VALIDATION', `home ${input.homeId} is not in site ${input.siteId}`);
      }
    }
    const name = input.name.trim();
    if (!name) throw new CareCircleError('ERR_VALIDATION', 'resident name must not be empty');
    const r = await this.deps.store.residents.create(
      { siteId: input.siteId, homeId: input.homeId ?? null, name, room: input.room ?? null },
      this.now(),
    );
    await this.deps.store.audit.record(this.now(), this.actor, 'resident.add', r.id);
    return r;
  }

  async addDevice(input: {
    siteId: string;
    residentId?: string;
    type: string;
    id?: string;
  }): Promise<{ device: DeviceRecord; secret: string }> {
    await this.requireSite(input.siteId);
    if (!(DEVICE_TYPES as readonly string[]).includes(input.type)) {
      throw new CareCircleError(
        'ERR_VALIDATION',
        `unknown device type ${input.type}; one of ${DEVICE_TYPES.join(', ')}`,
      );
    }
    if (input.residentId) {
      const r = await this.deps.store.residents.get(input.residentId);
      if (!r || r.siteId !== input.siteId) {
        throw new CareCircleError('ERR_VALIDATION', `resident ${input.residentId} is not in site ${input.siteId}`);
      }
    }
    const secret = generateSecret();
    const device = await this.deps.store.devices.create(
      {
        siteId: input.siteId,
        residentId: input.residentId ?? null,
        type: input.type as DeviceType,
        secretHash: this.deps.deviceSecrets.hash(secret),
        ...(input.id ? { id: input.id } : {}),
      },
      this.now(),
    );
    await this.deps.store.audit.record(this.now(), this.actor, 'device.add', device.id);
    return { device, secret };
  }

  /** Issues a new secret for an existing device; the old one stops working. */
  async rotateDeviceSecret(deviceId: string): Promise<string> {
    if (!(await this.deps.store.devices.get(deviceId)))
      throw new CareCircleError('ERR_NOT_FOUND', `no device ${deviceId}`);
    const secret = generateSecret();
    await this.deps.store.devices.setSecretHash(deviceId, this.deps.deviceSecrets.hash(secret));
    this.deps.onDeviceChanged?.(deviceId);
    await this.deps.store.audit.record(this.now(), this.actor, 'device.rotate_secret', deviceId);
    return secret;
  }

  /** A disabled device is refused at its next connect and its messages are no longer accepted. */
  async setDeviceEnabled(deviceId: string, enabled: boolean): Promise<{ id: string; enabled: boolean }> {
    if (!(await this.deps.store.devices.setEnabled(deviceId, enabled))) {
      throw new CareCircleError('ERR_NOT_FOUND', `no device ${deviceId}`);
    }
    this.deps.onDeviceChanged?.(deviceId);
    await this.deps.store.audit.record(this.now(), this.actor, enabled ? 'device.enable' : 'device.disable', deviceId);
    return { id: deviceId, enabled };
  }

  /** Replaces a site's rule settings (validated); answers them. */
  async setSiteRules(siteId: string, rules: unknown): Promise<CareRulesPatch> {
    const checked = siteRules.validate(rules);
    if (!checked.ok) throw new CareCircleError('ERR_VALIDATION', `site rules: ${formatIssues(checked.issues)}`);
    if (!(await this.deps.store.sites.setRules(siteId, checked.value)))
      throw new CareCircleError('ERR_NOT_FOUND', `no site ${siteId}`);
    await this.deps.store.audit.record(this.now(), this.actor, 'site.rules', siteId, { rules: checked.value });
    return checked.value;
  }

  /** Replaces a site's escalation ladders (validated: rings in time order); answers them. */
  async setSiteLadders(siteId: string, ladders: unknown): Promise<SiteLadders> {
    const checked = siteLaddersValidator.validate(ladders);
    if (!checked.ok) throw new CareCircleError('ERR_VALIDATION', `ladders: ${formatIssues(checked.issues)}`);
    checkLadderOrder(checked.value);
    if (!(await this.deps.store.sites.setLadders(siteId, checked.value)))
      throw new CareCircleError('ERR_NOT_FOUND', `no site ${siteId}`);
    await this.deps.store.audit.record(this.now(), this.actor, 'site.ladders', siteId, { ladders: checked.value });
    return checked.value;
  }

  /** Changes what is given of a resident's care profile (validated); answers the whole profile. */
  async setResidentCare(residentId: string, patch: Partial<ResidentCare>): Promise<ResidentCare> {
    const current = await this.deps.store.residents.care(residentId);
    if (!current) throw new CareCircleError('ERR_NOT_FOUND', `no resident ${residentId}`);
    const checked = residentCare.validate({ ...current, ...patch });
    if (!checked.ok) throw new CareCircleError('ERR_VALIDATION', `care profile: ${formatIssues(checked.issues)}`);
    await this.deps.store.residents.setCare(residentId, checked.value);
    await this.deps.store.audit.record(this.now(), this.actor, 'resident.care', residentId, { care: checked.value });
    return checked.value;
  }

  /** Says where a device is in the home (`none`: not said). */
  async placeDevice(deviceId: string, placement: string): Promise<{ id: string; placement: Placement | null }> {
    const place = placement === 'none' ? null : placement;
    if (place !== null && !(PLACEMENTS as readonly string[]).includes(place)) {
      throw new CareCircleError('ERR_VALIDATION', `placement must be one of ${PLACEMENTS.join(', ')} or none`);
    }
    if (!(await this.deps.store.devices.setPlacement(deviceId, place as Placement | null)))
      throw new CareCircleError('ERR_NOT_FOUND', `no device ${deviceId}`);
    await this.deps.store.audit.record(this.now(), this.actor, 'device.placement', deviceId, { placement: place });
    return { id: deviceId, placement: place as Placement | null };
  }

  /** Replaces a staff member's weekly shifts (`parseShift`), in their site's zone. */
  async setShifts(username: string, shifts: readonly string[]): Promise<{ username: string; shifts: DutyShift[] }> {
    const user = await this.deps.store.users.findByUsername(username);
    if (!user) throw new CareCircleError('ERR_NOT_FOUND', `no user ${username}`);
    if (user.siteId === null)
      throw new CareCircleError('ERR_VALIDATION', `${username} belongs to no site: shifts are a site's`);
    const parsed = shifts.map(parseShift);
    await this.deps.store.users.setShifts(user.id, parsed);
    await this.deps.store.audit.record(this.now(), this.actor, 'user.shifts', user.id, { shifts: parsed.length });
    return { username, shifts: parsed };
  }

  async addUser(input: {
    username: string;
    role: string;
    displayName?: string;
    siteId?: string;
    residentId?: string;
  }): Promise<{ user: User; password: string }> {
    if (!(ROLES as readonly string[]).includes(input.role)) {
      throw new CareCircleError('ERR_VALIDATION', `unknown role ${input.role}; one of ${ROLES.join(', ')}`);
    }
    const role = input.role as Role;
    if (!/^[A-Za-z0-9._-]{2,64}$/.test(input.username)) {
      throw new CareCircleError('ERR_VALIDATION', 'username: 2–64 letters, digits, dot, dash or underscore');
    }
    if (await this.deps.store.users.findByUsername(input.username)) {
      throw new CareCircleError('ERR_CONFLICT', `user ${input.username} exists`);
    }
    if ((role === 'staff' || role === 'responder') && !input.siteId) {
      throw new CareCircleError('ERR_VALIDATION', `role ${role} needs --site`);
    }
    if (role === 'family' && !input.residentId)
      throw new CareCircleError('ERR_VALIDATION', 'role family needs --resident');
    if (input.siteId) await this.requireSite(input.siteId);
    let siteId = input.siteId ?? null;
    if (input.residentId) {
      const r = await this.deps.store.residents.get(input.residentId);
      if (!r) throw new CareCircleError('ERR_NOT_FOUND', `no resident ${input.residentId}`);
      siteId ??= r.siteId;
    }
    const password = generateSecret(15);
    const user = await this.deps.store.users.create(
      {
        username: input.username,
        displayName: input.displayName ?? input.username,
        role,
        siteId,
        residentId: input.residentId ?? null,
        passwordHash: await this.hash(password),
      },
      this.now(),
    );
    await this.deps.store.audit.record(this.now(), this.actor, 'user.add', user.id, { role });
    return { user, password };
  }

  /** Sets a fresh one-time password and ends the user's sessions. */
  async resetPassword(username: string): Promise<string> {
    const u = await this.deps.store.users.findByUsername(username);
    if (!u) throw new CareCircleError('ERR_NOT_FOUND', `no user ${username}`);
    const password = generateSecret(15);
    await this.deps.store.users.setPasswordHash(u.id, await this.hash(password));
    await this.deps.store.audit.record(this.now(), this.actor, 'user.reset_password', u.id);
    return password;
  }
}
