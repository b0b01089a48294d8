import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOPIC_ROOT, topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from './testing/broker';

const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(TSX, [CLI, '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, exited };
}

describe('carecircle-sim CLI', { timeout: 60_000 }, () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await startBroker({ 'sos-9': 'nine', 'door-9': 'door-nine' });
  });
  afterEach(async () => {
    await broker.close();
  });

  it('press-sos exits 0 once the SOS is acknowledged', async () => {
    const { exited } = cli(['press-sos', '--url', broker.url, '--device', 'sos-9', '--secret', 'nine']);
    const result = await exited;
    expect(result).toMatchObject({ code: 0, stdout: 'SOS from sos-9 acknowledged\n' });
    const sos = broker.publishes.filter((p) => p.topic === topics.event('sos-9'));
    expect(sos).toHaveLength(1);
    expect(JSON.parse(sos[0]!.payload)).toMatchObject({ v: 1, type: 'sos' });
  });

  it('press-sos exits non-zero with the refusal when the secret is wrong', async () => {
    const { exited } = cli(['press-sos', '--url', broker.url, '--device', 'sos-9', '--secret', 'eight']);
    const result = await exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('sos-9: connection refused: bad username or password (CONNACK 4)');
    expect(broker.publishes).toEqual([]);
  });

  it('run plays a fleet from a devices file until SIGTERM, then leaves every device offline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-sim-'));
    try {
      const file = join(dir, 'devices.json');
      const devices = [
        { id: 'sos-9', secret: 'nine', type: 'sos_button', residentId: 'r9' },
        { id: 'door-9', secret: 'door-nine', type: 'door_sensor', residentId: 'r9' },
      ];
      await writeFile(file, JSON.stringify({ devices }));
      const observer = await broker.observer();
      await observer.subscribe(`${TOPIC_ROOT}/+/event`);
      const { child, exited } = cli(['run', '--url', broker.url, '--devices', file, '--sos-interval-ms', '100']);
      await observer.waitFor((m) => m.some((x) => x.topic === topics.event('sos-9')), 20_000);
      child.kill('SIGTERM');
      expect((await exited).code).toBe(0);
      const statuses = await broker.observer();
      await statuses.subscribe(`${TOPIC_ROOT}/+/status`);
      const retained = await statuses.waitFor((m) => m.length === 2);
      expect(retained.map((m) => [m.topic, m.payload]).sort()).toEqual([
        [topics.status('door-9'), 'offline'],
        [topics.status('sos-9'), 'offline'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
