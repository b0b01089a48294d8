import { createServer, type Server } from 'node:net';
import { topics } from '@carecircle/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { GatewayPortInUseError } from './errors';
import { createGateway } from './gateway';
import { ManualClock, MemoryDeadLetterStore, MemoryDeviceDirectory, MemoryJournal } from './testing/fakes';
import { nativeEvent, secretOf, startTestGateway, waitFor } from './testing/harness';
import { rawConnection } from './testing/raw';

function bareGateway() {
  return createGateway({
    devices: new MemoryDeviceDirectory(),
    journal: new MemoryJournal(),
    deadLetters: new MemoryDeadLetterStore(),
    clock: new ManualClock(),
    logger: pino({ level: 'silent' }),
  });
}

async function occupiedPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('listen and close', () => {
  it('reports the ports it bound and frees every socket and timer on close', async () => {
    const before = handles();
    const t = await startTestGateway({ ws: true });
    t.devices.add({ id: 'sos-1', type: 'sos_button' }, secretOf('sos-1'));
    expect(Number(new URL(t.mqttUrl).port)).toBeGreaterThan(0);
    expect(Number(new URL(t.wsUrl!).port)).toBeGreaterThan(0);
    await t.device('sos-1');
    await t.device('sos-1', { ws: true, clientId: 'sos-1' });
    const raw = await rawConnection(Number(new URL(t.mqttUrl).port)); // never sends CONNECT
    await t.close();
    await raw.closed;
    expect(t.gateway.metrics().connections).toBe(0);
    await t.gateway.close(); // idempotent
    const after = handles();
    for (const kind of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) {
      expect(after[kind] ?? 0, kind).toBeLessThanOrEqual(before[kind] ?? 0);
    }
  });

  it('lets in-flight journal appends answer before closing clients', async () => {
    const t = await startTestGateway();
    t.devices.add({ id: 'sos-1', type: 'sos_button' }, secretOf('sos-1'));
    const device = await t.device('sos-1');
    t.journal.hold();
    const puback = device.publishAsync(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    await waitFor(() => t.journal.waiting === 1, 'the append to start');
    const closing = t.gateway.close();
    // Intake stops first (stop intake, flush, close); the held PUBACK still goes out after that.
    await expect(rawConnection(Number(new URL(t.mqttUrl).port))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    t.journal.release();
    await puback;
    await closing;
    expect(t.journal.events()).toHaveLength(1);
    await t.close();
  });

  it('listens once', async () => {
    const gateway = bareGateway();
    await gateway.listen({ host: '127.0.0.1', mqttPort: 0 });
    await expect(gateway.listen({ host: '127.0.0.1', mqttPort: 0 })).rejects.toThrow(/listens once/);
    await gateway.close();
    await expect(gateway.publishCommand('sos-1', 'x')).rejects.toThrow(/not listening/);
  });

  it('names the port and its variable when the MQTT port is taken', async () => {
    const { server, port } = await occupiedPort();
    try {
      const gateway = bareGateway();
      const failure = gateway.listen({ host: '127.0.0.1', mqttPort: port });
      await expect(failure).rejects.toBeInstanceOf(GatewayPortInUseError);
      await expect(failure).rejects.toThrow(`MQTT port ${port} is already in use (set CARECIRCLE_MQTT_PORT)`);
    } finally {
      server.close();
    }
  });

  it('names CARECIRCLE_MQTT_WS_PORT when the WebSocket port is taken, and releases the MQTT port', async () => {
    const { server, port } = await occupiedPort();
    const before = handles();
    try {
      const gateway = bareGateway();
      const failure = gateway.listen({ host: '127.0.0.1', mqttPort: 0, wsPort: port });
      await expect(failure).rejects.toMatchObject({ transport: 'ws', port, envVar: 'CARECIRCLE_MQTT_WS_PORT' });
      await expect(failure).rejects.toThrow(
        `MQTT WebSocket port ${port} is already in use (set CARECIRCLE_MQTT_WS_PORT)`,
      );
      expect(gateway.metrics().connections).toBe(0);
      expect(handles().TCPServerWrap ?? 0, 'the MQTT listener').toBeLessThanOrEqual(before.TCPServerWrap ?? 0);
    } finally {
      server.close();
    }
  });
});
