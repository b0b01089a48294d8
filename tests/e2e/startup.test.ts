/**
 * Issue #2: a bad configuration value or a port already in use stops start-up with a message
 * that names the setting to change.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, runPlatform, tempDir } from '../support/harness';

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('start-up refusals', () => {
  let dir: string;
  let busy: { server: Server; port: number };

  beforeAll(async () => {
    dir = tempDir();
    busy = await occupyPort();
  });

  afterAll(async () => {
    await new Promise((r) => busy.server.close(r));
    removeDir(dir);
  });

  it.each([
    ['CARECIRCLE_HTTP_PORT', 'eighty'],
    ['CARECIRCLE_MQTT_PORT', '70000'],
    ['CARECIRCLE_LOG_LEVEL', 'loud'],
    ['CARECIRCLE_INFLUX_URL', 'http://127.0.0.1:8086/carecircle'],
    ['CARECIRCLE_HTTPPORT', '8080'],
  ])('%s=%s stops start-up and names the variable', async (name, value) => {
    const r = await runPlatform(dir, { [name]: value });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`configuration error in ${name}`);
  });

  it.each([['CARECIRCLE_HTTP_PORT'], ['CARECIRCLE_MQTT_PORT'], ['CARECIRCLE_MQTT_WS_PORT']])(
    'a port already in use for %s stops start-up and names the variable',
    async (name) => {
      const r = await runPlatform(dir, { [name]: String(busy.port) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(String(busy.port));
      expect(r.stderr).toContain(name);
    },
  );
});
