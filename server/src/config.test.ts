import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

const CWD = '/srv/carecircle';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env, CWD);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has working defaults', () => {
    expect(loadConfig({}, CWD)).toEqual({
      dataDir: resolve(CWD, 'data'),
      host: '127.0.0.1',
      httpPort: 8080,
      mqttPort: 1883,
      mqttWsPort: 8083,
      logLevel: 'info',
    });
  });

  it('reads every setting, resolving the data dir against the working directory', () => {
    expect(
      loadConfig(
        {
          CARECIRCLE_DATA_DIR: 'var/db',
          CARECIRCLE_HOST: '0.0.0.0',
          CARECIRCLE_HTTP_PORT: '0',
          CARECIRCLE_MQTT_PORT: ' 11883 ',
          CARECIRCLE_MQTT_WS_PORT: '65535',
          CARECIRCLE_LOG_LEVEL: 'debug',
          PATH: '/usr/bin',
        },
        CWD,
      ),
    ).toEqual({
      dataDir: resolve(CWD, 'var/db'),
      host: '0.0.0.0',
      httpPort: 0,
      mqttPort: 11883,
      mqttWsPort: 65535,
      logLevel: 'debug',
    });
  });

  it('CARECIRCLE_MQTT_WS_PORT=off turns the WebSocket listener off', () => {
    expect(loadConfig({ CARECIRCLE_MQTT_WS_PORT: 'off' }, CWD).mqttWsPort).toBeNull();
  });

  it.each([
    ['CARECIRCLE_HTTP_PORT', 'abc'],
    ['CARECIRCLE_HTTP_PORT', '70000'],
    ['CARECIRCLE_HTTP_PORT', '-1'],
    ['CARECIRCLE_HTTP_PORT', '80.5'],
    ['CARECIRCLE_MQTT_PORT', '65536'],
    ['CARECIRCLE_MQTT_WS_PORT', 'OFF!'],
    ['CARECIRCLE_LOG_LEVEL', 'loud'],
    ['CARECIRCLE_HOST', 'evil host; rm'],
  ])('%s=%s is refused naming the variable and the value', (name, value) => {
    const err = errorOf({ [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message.startsWith(`${name}: `)).toBe(true);
    expect(err.message).toContain(value);
  });

  it('refuses an unknown CARECIRCLE_ setting and lists the known ones', () => {
    const err = errorOf({ CARECIRCLE_FOO: '1' });
    expect(err.variable).toBe('CARECIRCLE_FOO');
    expect(err.message).toMatch(/^CARECIRCLE_FOO: unknown setting/);
    expect(err.message).toContain('CARECIRCLE_HTTP_PORT');
  });

  it('refuses settings of later roadmap steps as not supported yet', () => {
    for (const name of [
      'CARECIRCLE_INFLUX_URL',
      'CARECIRCLE_MQTTS_PORT',
      'CARECIRCLE_TLS_CERT',
      'CARECIRCLE_TLS_KEY',
    ]) {
      const err = errorOf({ [name]: 'x' });
      expect(err.variable).toBe(name);
      expect(err.message).toContain('not supported yet');
    }
    expect(errorOf({ CARECIRCLE_INFLUX_URL: 'http://influx:8086' }).message).toContain('embedded store');
  });

  it('ignores environment variables of other programs', () => {
    expect(loadConfig({ HOME: '/root', NODE_ENV: 'production', CARECIRCLEX: '1' }, CWD).httpPort).toBe(8080);
  });
});
