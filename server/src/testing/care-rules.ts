/**
 * The care rules as a test drives them: the embedded store in a temp dir, a fake clock, the
 * alert engine with the rules, and the timer runner with their handlers — events sent "now" by
 * the clock from a resident's placed devices, timers fired as the clock moves on.
 */
import type { DeviceEvent, DeviceType, EventKind, Placement } from '@carecircle/protocol';
import { ALERT_ENGINE_CONSUMER, AlertEngine } from '../alerts/alert.engine';
import { CARE_RULE_TIMERS, CareRuleSet } from '../rules/care-rules';
import { TimerRunner } from '../scheduler/timer-runner';
import { createTestDb, deviceEvent, type FakeClock, fakeClock, seedWorld, type TestDb, type World } from './fixtures';

export interface RulesHarness {
  t: TestDb;
  w: World;
  clock: FakeClock;
  engine: AlertEngine;
  runner: TimerRunner;
  /** One event from a device of resident A, sent and received now by the clock. */
  send(deviceId: string, kind: EventKind, data: Record<string, unknown>): Promise<void>;
  /** Any event, as the journal hands it to the engine. */
  feed(event: DeviceEvent): Promise<void>;
  /** Several events in one batch of the engine (one unit of work), as under load. */
  feedBatch(events: readonly DeviceEvent[]): Promise<void>;
  /** An event from a device of resident A, sent now by the clock, to pass to `feedBatch`. */
  event(deviceId: string, kind: EventKind, data: Record<string, unknown>): DeviceEvent;
  /** Moves the clock on and fires what fell due; answers how many fired. */
  later(ms: number): Promise<number>;
}

export async function rulesHarness(
  start: number,
  devices: readonly (readonly [id: string, type: DeviceType, placement: Placement])[],
): Promise<RulesHarness> {
  const t = createTestDb();
  const clock = fakeClock(start);
  const w = await seedWorld(t.store, clock);
  const rules = new CareRuleSet({ clock });
  const engine = new AlertEngine({ store: t.store, clock, logger: t.logger, careRules: rules });
  const runner = new TimerRunner({
    store: t.store,
    clock,
    logger: t.logger,
    handlers: Object.fromEntries(CARE_RULE_TIMERS.map((kind) => [kind, rules])),
  });
  for (const [id, type, placement] of devices) {
    await t.store.devices.create({ id, siteId: w.siteA, residentId: w.resA.id, type, secretHash: 'h' }, clock.iso());
    await t.store.devices.setPlacement(id, placement);
  }
  let offset = 0;
  const feedBatch = async (events: readonly DeviceEvent[]) => {
    const after = await t.store.offsets.get('journal', ALERT_ENGINE_CONSUMER, 0);
    await engine.handle(
      0,
      events.map((event) => ({ partition: 0, offset: ++offset, event })),
      after,
    );
  };
  const feed = (event: DeviceEvent) => feedBatch([event]);
  const event = (deviceId: string, kind: EventKind, data: Record<string, unknown>) =>
    deviceEvent(
      kind,
      { deviceId, siteId: w.siteA, residentId: w.resA.id },
      {
        ts: clock.iso(),
        data: data as never,
      },
    ) as DeviceEvent;
  return {
    t,
    w,
    clock,
    engine,
    runner,
    feed,
    feedBatch,
    event,
    send: (deviceId, kind, data) => feed(event(deviceId, kind, data)),
    async later(ms) {
      clock.advance(ms);
      return runner.fireDue();
    },
  };
}
