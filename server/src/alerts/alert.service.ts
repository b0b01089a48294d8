/**
 * Alert lifecycle actions taken by people (DESIGN.md, "Alerts"): every transition is a
 * compare-and-set on the state, timestamped, attributed, audited and appended to the alert
 * stream in one unit of work (alert.changes). Nothing is announced from here: the live push
 * and every later side effect consume the stream.
 */
import {
  type Actor,
  type Alert,
  type AlertState,
  CareCircleError,
  type Clock,
  canTransition,
  type Outcome,
  type User,
} from '@carecircle/protocol';
import { canSee, scopeOf } from '../auth/scope';
import type { StateStore } from '../storage/ports';
import { transitionAlert } from './alert.changes';

/** Roles that may act on alerts; families only watch. */
const ACTING_ROLES = new Set<User['role']>(['admin', 'supervisor', 'staff', 'responder']);

export function actorOf(user: User): Actor {
  return { type: 'user', id: user.id, name: user.displayName };
}

export class AlertService {
  constructor(private readonly deps: { store: StateStore; clock: Clock }) {}

  /** An alert the user may see, or ERR_ALERT_NOT_FOUND (also when out of scope: no probing). */
  async visible(user: User, id: string): Promise<Alert> {
    const alert = await this.deps.store.alerts.get(id);
    if (!alert || !canSee(scopeOf(user), alert)) throw new CareCircleError('ERR_ALERT_NOT_FOUND', `no alert ${id}`);
    return alert;
  }

  acknowledge(user: User, id: string, note?: string): Promise<Alert> {
    return this.move(user, id, 'acknowledged', { note: note ?? null });
  }

  enRoute(user: User, id: string, note?: string): Promise<Alert> {
    return this.move(user, id, 'en_route', { note: note ?? null });
  }

  onScene(user: User, id: string, note?: string): Promise<Alert> {
    return this.move(user, id, 'on_scene', { note: note ?? null });
  }

  resolve(user: User, id: string, outcome: Outcome, note: string): Promise<Alert> {
    return this.move(user, id, 'resolved', { outcome, note });
  }

  private async move(
    user: User,
    id: string,
    to: AlertState,
    extra: { outcome?: Outcome; note: string | null },
  ): Promise<Alert> {
    const { store, clock } = this.deps;
    const current = await this.visible(user, id);
    if (!ACTING_ROLES.has(user.role)) throw new CareCircleError('ERR_FORBIDDEN', 'your role cannot act on alerts');
    if (!canTransition(current.state, to)) {
      throw new CareCircleError('ERR_ALERT_TRANSITION', `cannot go from ${current.state} to ${to}`, {
        state: current.state,
      });
    }
    // Claimed by one person: once acknowledged, only the one who claimed it (or a supervisor)
    // moves it on.
    const claimant = current.acknowledgedBy;
    if (claimant && claimant.id !== user.id && user.role !== 'admin' && user.role !== 'supervisor') {
      throw new CareCircleError('ERR_ALERT_CLAIMED', `claimed by ${claimant.name}`, { claimedBy: claimant });
    }
    const at = new Date(clock.now()).toISOString();
    const actor = actorOf(user);
    const moved = await store.transaction((tx) =>
      transitionAlert(tx, { alertId: id, from: current.state, to, at, actor, ...extra }),
    );
    if (!moved) {
      throw new CareCircleError('ERR_ALERT_TRANSITION', 'the alert changed meanwhile; reload and try again');
    }
    return moved;
  }
}
