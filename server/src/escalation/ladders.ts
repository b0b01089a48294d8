/**
 * Escalation ladders as data (DESIGN.md, "Alerts"): per severity, which ring is paged how long
 * after the alert was raised while nobody has claimed it, and how often everyone paged so far is
 * reminded after the last ring. Sites override them (`LadderSource`); these are the defaults.
 */
import type { Severity } from '@carecircle/protocol';

export interface LadderStep {
  /** 1 is the first ring (the people closest to the resident); higher rings widen the circle. */
  ring: number;
  /** After the alert was raised. */
  afterMs: number;
}

export interface Ladder {
  /** In order of `afterMs`; the first is usually at 0 (paged at once). */
  steps: readonly LadderStep[];
  /** After the last ring, everyone paged is reminded this often until someone claims it; null: never. */
  reminderEveryMs: number | null;
}

const MINUTE = 60_000;

export const DEFAULT_LADDERS: Readonly<Record<Severity, Ladder>> = {
  // Telecare practice: a critical alarm is answered within a minute, or it goes wider.
  critical: {
    steps: [
      { ring: 1, afterMs: 0 },
      { ring: 2, afterMs: MINUTE },
      { ring: 3, afterMs: 3 * MINUTE },
    ],
    reminderEveryMs: 2 * MINUTE,
  },
  high: {
    steps: [
      { ring: 1, afterMs: 0 },
      { ring: 2, afterMs: 5 * MINUTE },
      { ring: 3, afterMs: 15 * MINUTE },
    ],
    reminderEveryMs: 5 * MINUTE,
  },
  medium: {
    steps: [
      { ring: 1, afterMs: 0 },
      { ring: 2, afterMs: 30 * MINUTE },
    ],
    reminderEveryMs: 30 * MINUTE,
  },
  low: { steps: [{ ring: 1, afterMs: 0 }], reminderEveryMs: null },
};

/** The ladder for a site's alerts of a severity. */
export type LadderSource = (siteId: string, severity: Severity) => Promise<Ladder>;

export const defaultLadders: LadderSource = async (_siteId, severity) => DEFAULT_LADDERS[severity];
