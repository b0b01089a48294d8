/**
 * Mosquitto as the peer of every figure: started on a free loopback port with the fleet's
 * devices in a password file (`allow_anonymous false`), nothing on disk.
 */
import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { DeviceCredentials } from './messages';
import { exitWithin, freePort } from './processes';

function mosquittoBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  const found = dirs.map((d) => join(d, 'mosquitto')).find((p) => existsSync(p));
  if (!found) throw new Error('mosquitto not found (apt-get install mosquitto mosquitto-clients)');
  return found;
}

/**
 * Runs Mosquitto with the configuration file `conf`; resolves once it logged that it runs (its
 * log goes to stderr, which it does not buffer), and keeps draining that log, unread.
 */
export async function runMosquitto(conf: string): Promise<ChildProcessByStdio<null, null, Readable>> {
  const child = spawn(mosquittoBinary(), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      if (/mosquitto version \S+ running/.test(output)) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}) before it ran:\n${output}`)));
  });
  child.stderr.removeAllListeners('data').resume();
  child.removeAllListeners('exit');
  return child;
}

/**
 * A Mosquitto password file with every device as a user (`mosquitto_passwd -U` hashes the
 * plain `user:password` lines in place), written once per bench.
 */
export function mosquittoPasswords(dir: string, devices: readonly DeviceCredentials[]): string {
  const file = join(dir, 'mosquitto.passwd');
  writeFileSync(file, `${devices.map((d) => `${d.id}:${d.secret}`).join('\n')}\n`, { mode: 0o600 });
  execFileSync('mosquitto_passwd', ['-U', file]);
  return file;
}

export interface MosquittoProcess {
  pid: number;
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Mosquitto on a free loopback port, users from `passwordFile`, nothing on disk. */
export async function startMosquitto(dir: string, passwordFile: string): Promise<MosquittoProcess> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwordFile}`,
      'persistence false',
      // Started as root, Mosquitto would become user `mosquitto`, who cannot read the bench's files.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      // A line per connection would make Mosquitto write 10,000 lines in a storm.
      'connection_messages false',
      'log_dest stderr',
      '',
    ].join('\n'),
  );
  const child = await runMosquitto(conf);
  return {
    pid: child.pid!,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exitWithin(child, 10_000);
    },
  };
}
