/**
 * The escalation ladder (DESIGN.md, "Alerts"): an alert nobody claims reaches more people as
 * time passes, and nobody forgets it. Two halves, both durable:
 *
 * - a consumer of the alert stream (leased, with its offset committed in the unit of work that
 *   holds what it did): a `raised` alert that is still open pages ring 1 at once and schedules
 *   the next step as a durable timer; a transition out of `open` (claimed, resolved, cancelled)
 *   cancels the timer;
 * - the timer's handler: when a step falls due and the alert is still open, it pages that ring
 *   (or, after the last ring, reminds everyone paged so far) and schedules the step after.
 *
 * Due times come from the alert's `raisedAt` and the ladder, never from when a process happened
 * to look, so a restart in the middle of a ladder goes on at the right step and moment. A ring
 * with nobody in it is recorded as such and the next ring is paged at once: an empty roster must
 * not cost a minute. Every page is on the alert's timeline (`paged`) and goes live to exactly
 * the people paged.
 */
import type { Actor, Alert, Clock, PagedPerson } from '@carecircle/protocol';
import { pageAlert } from '../alerts/alert.changes';
import type { LogHandler } from '../logs/log.consumer';
import type { TimerHandler } from '../scheduler/timer-runner';
import type { AlertStreamEntry, StateStore, StoredTimer, UnitOfWork } from '../storage/ports';
import { type LadderSource, siteLadders } from './ladders';
import type { RecipientResolver } from './recipients';

export const ESCALATION_CONSUMER = 'escalation';
/** The kind of its durable timers. */
export const ESCALATION_TIMER = 'escalation.step';

const ACTOR: Actor = { type: 'system', id: 'escalation', name: 'escalation ladder' };

/** One timer per alert: its next step. */
export const escalationKey = (alertId: string) => `escalation:${alertId}`;

export class Escalation implements LogHandler<AlertStreamEntry>, TimerHandler {
  readonly stats = { pages: 0, reminders: 0, emptyRings: 0 };

  constructor(
    private readonly deps: {
      store: StateStore;
      clock: Clock;
      recipients: RecipientResolver;
      ladders?: LadderSource;
    },
  ) {}

  private ladders(): LadderSource {
    return this.deps.ladders ?? siteLadders;
  }

  async handle(partition: number, entries: readonly AlertStreamEntry[], after: number): Promise<void> {
    const last = entries.at(-1);
    if (!last) return;
    await this.deps.store.transaction(async (tx) => {
      for (const e of entries) {
        if (!e.alertId) continue;
        if (e.action === 'raised') {
          // As it is now, not as it was raised: a consumer behind may find it claimed already.
          const alert = await tx.alerts.get(e.alertId);
          if (alert?.state === 'open') await this.step(tx, alert, 0);
        } else if (e.action === 'transition' && e.toState !== 'open') {
          await tx.timers.cancel(escalationKey(e.alertId));
        }
      }
      await tx.offsets.advance('alerts', ESCALATION_CONSUMER, partition, after, last.offset);
    });
  }

  /** The timer of a step fell due (`TimerRunner`, in the unit of work that took it). */
  async fire(tx: UnitOfWork, task: StoredTimer): Promise<void> {
    const alertId = String(task.payload.alertId);
    const step = Number(task.payload.step);
    const alert = await tx.alerts.get(alertId);
    if (alert?.state !== 'open') return; // claimed or closed since: the ladder is over
    await this.step(tx, alert, step);
  }

  /**
   * Pages step `step` of the alert's ladder (a reminder past the last ring) and schedules the
   * next; empty rings are recorded and passed at once.
   */
  private async step(tx: UnitOfWork, alert: Alert, step: number): Promise<void> {
    const now = this.deps.clock.now();
    const at = new Date(now).toISOString();
    const ladder = await this.ladders()(tx, alert.siteId, alert.severity);
    const raisedAt = Date.parse(alert.raisedAt);
    let current = alert;
    let s = step;
    for (;;) {
      const reminder = s >= ladder.steps.length;
      const ring = reminder ? (ladder.steps.at(-1)?.ring ?? 1) : (ladder.steps[s]?.ring ?? 1);
      const recipients = reminder
        ? await this.everyonePaged(tx, current, ring, now)
        : await this.deps.recipients.resolve(tx, current, ring, now);
      current = await pageAlert(tx, current, { ring, reminder, recipients }, at, ACTOR);
      if (reminder) this.stats.reminders++;
      else this.stats.pages++;
      const next = s + 1;
      if (!reminder && recipients.length === 0 && next < ladder.steps.length) {
        this.stats.emptyRings++;
        s = next; // nobody to wait for: the next ring now
        continue;
      }
      let dueAt: number | null;
      if (!reminder && next < ladder.steps.length) dueAt = raisedAt + (ladder.steps[next]?.afterMs ?? 0);
      else dueAt = ladder.reminderEveryMs === null ? null : now + ladder.reminderEveryMs;
      if (dueAt === null) {
        await tx.timers.cancel(escalationKey(alert.id));
        return;
      }
      await tx.timers.schedule({
        key: escalationKey(alert.id),
        kind: ESCALATION_TIMER,
        siteId: alert.siteId,
        dueAt: new Date(Math.max(dueAt, now)).toISOString(),
        payload: { alertId: alert.id, step: Math.min(next, ladder.steps.length) },
      });
      return;
    }
  }

  /** Everyone in rings 1 … `ring` as they are now, each once. */
  private async everyonePaged(tx: UnitOfWork, alert: Alert, ring: number, now: number): Promise<PagedPerson[]> {
    const seen = new Map<string, PagedPerson>();
    for (let r = 1; r <= ring; r++) {
      for (const p of await this.deps.recipients.resolve(tx, alert, r, now)) seen.set(p.id, p);
    }
    return [...seen.values()];
  }
}
