/**
 * Escalation ladders as data (DESIGN.md, "Alerts"): per severity, which ring is paged how long
 * after the alert was raised while nobody has claimed it, and how often everyone paged so far is
 * reminded after the last ring. Sites override them (`LadderSource`); these are the defaults.
 */
import { CareCircleError, type LadderSetting, type Severity, type SiteLadders } from '@carecircle/protocol';
import type { Repositories } from '../storage/ports';

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

/** The ladder for a site's alerts of a severity, read in the caller's unit of work. */
export type LadderSource = (repos: Repositories, siteId: string, severity: Severity) => Promise<Ladder>;

/** A ladder as people set it (seconds) as the ladder runs it (ms). */
export function ladderOf(setting: LadderSetting): Ladder {
  return {
    steps: setting.steps.map((s) => ({ ring: s.ring, afterMs: s.afterSeconds * 1000 })),
    reminderEveryMs: setting.reminderEverySeconds === null ? null : setting.reminderEverySeconds * 1000,
  };
}

/** Refuses a site's ladders whose rings are not in time order. */
export function checkLadderOrder(ladders: SiteLadders): void {
  for (const [severity, ladder] of Object.entries(ladders)) {
    const times = ladder.steps.map((s) => s.afterSeconds);
    if (times.some((t, i) => i > 0 && t < (times[i - 1] ?? 0))) {
      throw new CareCircleError('ERR_VALIDATION', `${severity}: each ring must come no sooner than the one before`);
    }
  }
}

/** A ladder as people see it. */
export function settingOf(ladder: Ladder): LadderSetting {
  return {
    steps: ladder.steps.map((s) => ({ ring: s.ring, afterSeconds: s.afterMs / 1000 })),
    reminderEverySeconds: ladder.reminderEveryMs === null ? null : ladder.reminderEveryMs / 1000,
  };
}

/** The site's own ladder for the severity where it set one, else the default. */
export const siteLadders: LadderSource = async (repos, siteId, severity) => {
  const own = (await repos.sites.ladders(siteId))?.[severity];
  return own ? ladderOf(own) : DEFAULT_LADDERS[severity];
};
