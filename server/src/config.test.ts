import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactDatabaseUrl, redactUrls } from './config';

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
      role: 'all',
      dataDir: resolve(CWD, 'data'),
      host: '127.0.0.1',
      httpPort: 8080,
      mqttPort: 1883,
      mqttWsPort: 8083,
      logLevel: 'info',
      databaseUrl: null,
      journalUrl: null,
      deviceKeyFile: resolve(CWD, 'data/device-secret.key'),
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
          CARECIRCLE_DATABASE_URL: ' postgres://carecircle:s3cret@db.internal:5432/carecircle ',
          CARECIRCLE_JOURNAL_URL: 'nats://n1:4222,nats://n2:4222',
          CARECIRCLE_ROLE: 'gateway',
          CARECIRCLE_DEVICE_KEY_FILE: 'secrets/device.key',
          PATH: '/usr/bin',
        },
        CWD,
      ),
    ).toEqual({
      role: 'gateway',
      dataDir: resolve(CWD, 'var/db'),
      host: '0.0.0.0',
      httpPort: 0,
      mqttPort: 11883,
      mqttWsPort: 65535,
      logLevel: 'debug',
      databaseUrl: 'postgres://carecircle:s3cret@db.internal:5432/carecircle',
      journalUrl: 'nats://n1:4222,nats://n2:4222',
      deviceKeyFile: resolve(CWD, 'secrets/device.key'),
    });
  });

  describe('CARECIRCLE_ROLE', () => {
    it('is all, gateway or server', () => {
      const err = errorOf({ CARECIRCLE_ROLE: 'broker' });
      expect(err.variable).toBe('CARECIRCLE_ROLE');
      expect(err.message).toContain('all, gateway, server');
    });

    it.each(['gateway', 'server'])('%s needs the shared journal and state', (role) => {
      const shared = {
        CARECIRCLE_DATABASE_URL: 'postgres://db/carecircle',
        CARECIRCLE_JOURNAL_URL: 'nats://n1:4222',
      };
      expect(loadConfig({ CARECIRCLE_ROLE: role, ...shared }, CWD).role).toBe(role);
      for (const missing of Object.keys(shared)) {
        const env = { CARECIRCLE_ROLE: role, ...shared, [missing]: '' };
        const err = errorOf(env);
        expect(err.variable).toBe('CARECIRCLE_ROLE');
        expect(err.message).toContain('CARECIRCLE_JOURNAL_URL (NATS JetStream) and CARECIRCLE_DATABASE_URL');
      }
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

  describe('CARECIRCLE_DATABASE_URL', () => {
    it.each([
      'postgres://db.internal/carecircle',
      'postgresql://carecircle:pw@127.0.0.1:5433/carecircle?sslmode=require',
      'postgres:///carecircle?host=/run/postgresql',
    ])('takes %s', (url) => {
      expect(loadConfig({ CARECIRCLE_DATABASE_URL: url }, CWD).databaseUrl).toBe(url);
    });

    it('unset or blank keeps the embedded database', () => {
      expect(loadConfig({ CARECIRCLE_DATABASE_URL: '  ' }, CWD).databaseUrl).toBeNull();
    });

    it.each([
      ['mysql://root:hunter2@db/carecircle', 'mysql://root:redacted@db/carecircle'],
      ['http://user:hunter2@db:5432/carecircle', 'http://user:redacted@db:5432/carecircle'],
      ['redis://:hunter2@cache:6379', 'redis://:redacted@cache:6379'],
    ])('refuses %s naming the variable, without the password', (url, shown) => {
      const err = errorOf({ CARECIRCLE_DATABASE_URL: url });
      expect(err.variable).toBe('CARECIRCLE_DATABASE_URL');
      expect(err.message).toMatch(/^CARECIRCLE_DATABASE_URL: must /);
      expect(err.message).toContain(shown);
      expect(err.message).not.toContain('hunter2');
    });

    it.each(['hunter2', 'postgres://user:hunter2@/carecircle'])(
      'refuses %s, which is not a URL, without echoing it (it may be a password)',
      (value) => {
        const err = errorOf({ CARECIRCLE_DATABASE_URL: value });
        expect(err.variable).toBe('CARECIRCLE_DATABASE_URL');
        expect(err.message).not.toContain('hunter2');
      },
    );

    it('redacts the password in the URL and in a password parameter', () => {
      expect(redactDatabaseUrl('postgres://cc:s3cret@db:5432/carecircle')).toBe(
        'postgres://cc:redacted@db:5432/carecircle',
      );
      expect(redactDatabaseUrl('postgres://db/carecircle?user=cc&password=s3cret')).toBe(
        'postgres://db/carecircle?user=cc&password=redacted',
      );
      expect(redactDatabaseUrl('postgres://db/carecircle')).toBe('postgres://db/carecircle');
      expect(redactDatabaseUrl('s3cret')).not.toContain('s3cret');
    });
  });

  describe('CARECIRCLE_JOURNAL_URL', () => {
    it.each([
      'nats://127.0.0.1:4222',
      'nats://n1:4222,nats://n2:4222, nats://n3:4222',
      'tls://cc:pw@nats.internal:4222',
    ])('takes %s', (url) => {
      expect(loadConfig({ CARECIRCLE_JOURNAL_URL: url }, CWD).journalUrl).toBe(url);
    });

    it('unset or blank keeps the embedded journal', () => {
      expect(loadConfig({ CARECIRCLE_JOURNAL_URL: ' ' }, CWD).journalUrl).toBeNull();
    });

    it.each([
      ['http://cc:hunter2@nats:4222', 'http://cc:redacted@nats:4222'],
      ['nats://n1:4222,postgres://cc:hunter2@db/x', 'postgres://cc:redacted@db/x'],
      ['hunter2', '(not a URL)'],
      [',', null],
    ])('refuses %s naming the variable, without a password', (url, shown) => {
      const err = errorOf({ CARECIRCLE_JOURNAL_URL: url });
      expect(err.variable).toBe('CARECIRCLE_JOURNAL_URL');
      if (shown) expect(err.message).toContain(shown);
      expect(err.message).not.toContain('hunter2');
    });

    it('redacts passwords and tokens in each URL of a list', () => {
      expect(redactUrls('nats://cc:s3cret@n1:4222,nats://t0ken@n2:4222,nats://n3:4222')).toBe(
        'nats://cc:redacted@n1:4222,nats://redacted@n2:4222,nats://n3:4222',
      );
    });
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
