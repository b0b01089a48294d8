/**
 * Community responders of the 15-minute service circle, by people over the API
 * (`http/routes/responders.routes.ts`) and the admin CLI: creating one (a `responder` user at a
 * station, with a one-time password), who sees which, the duty toggle and the live position.
 * Their weekly shifts are the staff ones (`rules/care-settings.ts`, `PUT /users/:id/shifts`).
 */
import {
  type Actor,
  CareCircleError,
  DUTY_MODES,
  type DutyMode,
  type GeoPoint,
  type Responder,
  type ResponderPositionInput,
  type Role,
  TRAVEL_MODES,
  type TravelMode,
  type User,
} from '@carecircle/protocol';
import { canSee, scopeOf, siteFilter } from '../auth/scope';
import { generateSecret, hashSecret, type SecretCost } from '../auth/secrets';
import type { StateStore } from '../storage/ports';

/** Who creates responders and changes anyone's duty. */
const ADMIN_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'supervisor']);
/** As `ProvisioningService.addUser` checks a username. */
const USERNAME = /^[A-Za-z0-9._-]{2,64}$/;

export interface NewResponderInput {
  username: string;
  displayName: string;
  stationId: string;
  travelMode: string;
  homeBase: GeoPoint;
}

const actorOf = (user: User): Actor => ({ type: 'user', id: user.id, name: user.displayName });

export class ResponderAdmin {
  constructor(
    private readonly deps: {
      store: StateStore;
      now: () => string;
      /** scrypt cost of the one-time password; tests pass a cheap one. */
      hashCost?: SecretCost;
    },
  ) {}

  /** A new responder by a person: supervisors and admins. */
  async create(user: User, input: NewResponderInput): Promise<{ responder: Responder; password: string }> {
    if (!ADMIN_ROLES.has(user.role)) {
      throw new CareCircleError('ERR_FORBIDDEN', 'only supervisors and admins add responders');
    }
    return this.add(actorOf(user), input);
  }

  /**
   * A new responder with no check of who asks (the admin CLI, which is trusted): a `responder`
   * user of the station and their responder record, in one unit of work, on the roster. Answers
   * the one-time password, which is stored only as a hash.
   */
  async add(actor: Actor, input: NewResponderInput): Promise<{ responder: Responder; password: string }> {
    if (!USERNAME.test(input.username)) {
      throw new CareCircleError('ERR_VALIDATION', 'username: 2–64 letters, digits, dot, dash or underscore');
    }
    const displayName = input.displayName.trim();
    if (!displayName) throw new CareCircleError('ERR_VALIDATION', 'display name must not be empty');
    if (!(TRAVEL_MODES as readonly string[]).includes(input.travelMode)) {
      throw new CareCircleError(
        'ERR_VALIDATION',
        `unknown travel mode ${input.travelMode}; one of ${TRAVEL_MODES.join(', ')}`,
      );
    }
    const { lat, lon } = input.homeBase;
    if (!(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) {
      throw new CareCircleError('ERR_VALIDATION', 'home base: lat must be within ±90 and lon within ±180');
    }
    const station = await this.deps.store.sites.get(input.stationId);
    if (station?.kind !== 'station') {
      throw new CareCircleError('ERR_VALIDATION', `${input.stationId} is not a community station`);
    }
    const password = generateSecret(15);
    const passwordHash = await hashSecret(password, this.deps.hashCost);
    const now = this.deps.now();
    const responder = await this.deps.store.transaction(async (tx) => {
      // Checked with the creation; a name taken at the same moment is refused by the database.
      if (await tx.users.findByUsername(input.username)) {
        throw new CareCircleError('ERR_CONFLICT', `user ${input.username} exists`);
      }
      const user = await tx.users.create(
        {
          username: input.username,
          displayName,
          role: 'responder',
          siteId: station.id,
          residentId: null,
          passwordHash,
        },
        now,
      );
      const created = await tx.responders.create(
        {
          userId: user.id,
          stationId: station.id,
          travelMode: input.travelMode as TravelMode,
          homeBase: { lat, lon },
          duty: 'roster',
        },
        now,
      );
      await tx.audit.record(now, actor, 'responder.add', user.id, {
        stationId: station.id,
        travelMode: created.travelMode,
      });
      return created;
    });
    return { responder, password };
  }

  /**
   * The responders a user may see: staff of a station theirs, supervisors and admins every
   * station's (narrowed by `site`), a responder only themself. Family may not.
   */
  async list(user: User, site?: string): Promise<Responder[]> {
    if (user.role === 'family') throw new CareCircleError('ERR_FORBIDDEN', 'responders are for staff and up');
    if (user.role === 'responder') {
      const self = await this.deps.store.responders.get(user.id);
      return self && (site === undefined || self.stationId === site) ? [self] : [];
    }
    return this.deps.store.responders.listByStation(await siteFilter(scopeOf(user), this.deps.store, site));
  }

  /** The responder themself (the phone view's toggle), or a supervisor or admin. */
  async setDuty(user: User, responderId: string, duty: DutyMode): Promise<Responder> {
    if (!(DUTY_MODES as readonly string[]).includes(duty)) {
      throw new CareCircleError('ERR_VALIDATION', `duty must be one of ${DUTY_MODES.join(', ')}`);
    }
    const target = await this.visible(user, responderId);
    if (!(target.userId === user.id || ADMIN_ROLES.has(user.role))) {
      throw new CareCircleError('ERR_FORBIDDEN', 'only the responder, supervisors and admins change duty');
    }
    return this.deps.store.transaction(async (tx) => {
      const changed = await tx.responders.setDuty(responderId, duty);
      if (!changed) throw new CareCircleError('ERR_NOT_FOUND', `no responder ${responderId}`);
      await tx.audit.record(this.deps.now(), actorOf(user), 'responder.duty', responderId, {
        from: target.duty,
        to: duty,
      });
      return changed;
    });
  }

  /**
   * The responder's own live position, stamped with the server's clock. Not audited: it is
   * telemetry the phone sends every so often, not a decision, and the audit log is no trail of
   * where people went.
   */
  async setPosition(user: User, responderId: string, position: ResponderPositionInput): Promise<Responder> {
    const target = await this.visible(user, responderId);
    if (target.userId !== user.id) {
      throw new CareCircleError('ERR_FORBIDDEN', 'only the responder shares their position');
    }
    const { lat, lon } = position;
    if (!(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) {
      throw new CareCircleError('ERR_VALIDATION', 'lat must be within ±90 and lon within ±180');
    }
    const changed = await this.deps.store.responders.setPosition(responderId, {
      lat,
      lon,
      accuracy: position.accuracy ?? null,
      at: this.deps.now(),
    });
    if (!changed) throw new CareCircleError('ERR_NOT_FOUND', `no responder ${responderId}`);
    return changed;
  }

  /** A responder the user may see (themself, or one of a station in their scope); else not found. */
  private async visible(user: User, responderId: string): Promise<Responder> {
    const target = await this.deps.store.responders.get(responderId);
    const sees =
      target !== null &&
      (target.userId === user.id ||
        (user.role !== 'family' && canSee(scopeOf(user), { siteId: target.stationId, residentId: null })));
    if (!target || !sees) throw new CareCircleError('ERR_NOT_FOUND', `no responder ${responderId}`);
    return target;
  }
}
