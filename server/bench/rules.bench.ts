/**
 * What the care rules cost the alert engine: the same batches of routine presence and motion
 * events from residents at home, each with a placed sensor, through `AlertEngine.handle` on the
 * embedded store — once with the care rules (wandering, bed exit, inactivity, vitals and their
 * durable timers) and once without, in the same run on the same disk, each round on a fresh data
 * directory. Prints medians of ROUNDS rounds, and the ratio, and writes bench-results/rules.json.
 *
 *   node --import tsx server/bench/rules.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceEvent, JournalEntry } from '@carecircle/protocol';
import pino from 'pino';
import { ALERT_ENGINE_CONSUMER, AlertEngine } from '../src/alerts/alert.engine';
import { CareRuleSet } from '../src/rules/care-rules';
import { openEmbeddedStorage } from '../src/storage/open';
import { fakeClock } from '../src/testing/fixtures';
import { machine, machineLine, median, round, writeReport } from './report';

const ROUNDS = 5;
const RESIDENTS = 200;
const EVENTS = 4000;
/** Entries per `handle`, as the consumer reads them from the journal under load. */
const BATCH = 200;
/** 10:00 on a weekday morning in Shanghai: waking hours, so inactivity is watched. */
const START = Date.parse('2026-11-30T02:00:00Z');

type Mode = 'rules' | 'bare';

async function once(mode: Mode, dir: string): Promise<number> {
  const logger = pino({ level: 'warn' });
  const storage = openEmbeddedStorage(dir, logger);
  const store = storage.store;
  const clock = fakeClock(START);
  const at = clock.iso();
  const site = (await store.sites.create({ name: 'Bench', kind: 'facility', tz: 'Asia/Shanghai' }, at)).id;
  const devices: { id: string; residentId: string }[] = [];
  for (let r = 0; r < RESIDENTS; r++) {
    const resident = await store.residents.create({ siteId: site, homeId: null, name: `R${r}`, room: `${r}` }, at);
    await store.residents.setCare(resident.id, {
      wanderingRisk: r % 4 === 0,
      livesAlone: true,
      presence: 'home',
      rules: {},
    });
    const id = `pir-${r}`;
    await store.devices.create(
      { id, siteId: site, residentId: resident.id, type: 'presence_sensor', secretHash: 'h' },
      at,
    );
    await store.devices.setPlacement(id, r % 2 === 0 ? 'living_room' : 'bedroom');
    devices.push({ id, residentId: resident.id });
  }
  const engine = new AlertEngine({
    store,
    clock,
    logger,
    ...(mode === 'rules' ? { careRules: new CareRuleSet({ clock }) } : {}),
  });
  const entries: JournalEntry[] = Array.from({ length: EVENTS }, (_, i) => {
    const d = devices[i % RESIDENTS]!;
    const ts = new Date(START + i * 50).toISOString();
    const event = {
      eventId: `e-${i}`,
      deviceId: d.id,
      siteId: site,
      residentId: d.residentId,
      ts,
      receivedAt: ts,
      ...(i % 2 === 0 ? { kind: 'presence', data: { present: true } } : { kind: 'motion', data: { motion: true } }),
    } as DeviceEvent;
    return { partition: 0, offset: i + 1, event };
  });
  const started = performance.now();
  for (let i = 0; i < entries.length; i += BATCH) {
    const after = await store.offsets.get('journal', ALERT_ENGINE_CONSUMER, 0);
    await engine.handle(0, entries.slice(i, i + BATCH), after);
  }
  const seconds = (performance.now() - started) / 1000;
  await storage.close();
  return EVENTS / seconds;
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'cc-bench-rules-'));
  const m = machine(base);
  console.log(machineLine(m));
  const rates: Record<Mode, number[]> = { rules: [], bare: [] };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order so neither mode always runs on a warmer disk and JIT.
      for (const mode of (r % 2 === 0 ? ['bare', 'rules'] : ['rules', 'bare']) as Mode[]) {
        const dir = mkdtempSync(join(base, `${mode}-`));
        rates[mode].push(await once(mode, dir));
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const rules = median(rates.rules);
  const bare = median(rates.bare);
  console.log(`alert engine, ${EVENTS} presence/motion events in batches of ${BATCH}, ${RESIDENTS} residents at home:`);
  console.log(`  without care rules  ${bare.toFixed(0)} events/s`);
  console.log(`  with care rules     ${rules.toFixed(0)} events/s   (${(rules / bare).toFixed(2)}× without)`);
  const file = writeReport('rules', {
    machine: m,
    settings: { rounds: ROUNDS, residents: RESIDENTS, events: EVENTS, batch: BATCH },
    results: { withRulesPerSecond: round(rules, 0), withoutRulesPerSecond: round(bare, 0) },
    ratios: { withVsWithout: round(rules / bare) },
  });
  console.log(`wrote ${file}`);
}

await main();
