/**
 * A private nats-server with JetStream for tests (Debian's `nats-server` 2.9): loopback only, a
 * port of its own, a store directory of its own. Ready when it logs "Server is ready" — no fixed
 * sleeps. It can be stopped (killed, as a crash would) and started again on the same port and
 * store, to test what survives. Nothing here is used in production.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll } from 'vitest';

export interface NatsTestServer {
  /** `nats://127.0.0.1:<port>`, stable across `stop`/`start`. */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Kills the server (SIGKILL unless told otherwise) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store directory. */
  start(): Promise<void>;
  /** Fresh names for one journal: streams and subjects no other test on this server uses. */
  names(): { streamName: string; subjectPrefix: string };
  /** Stops the server and removes its store. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

interface Running {
  /** The watchdog shell around the server; it exits when the server does. */
  child: ChildProcess;
  /** The server's own pid (from its log), the process to signal. */
  pid: number;
  port: number;
}

/**
 * Runs the server under a watchdog shell that kills it once our end of its stdin closes — when
 * this process exits in any way, even killed, the server goes too and no test leaves one behind.
 */
const WATCHDOG =
  'exec 3<&0; "$0" "$@" </dev/null & p=$!; { while read -r _; do :; done; kill -9 "$p" 2>/dev/null; } <&3 & wait "$p"';

/** Runs `nats-server -js` and resolves once it is ready, with the port it took. */
function run(storeDir: string, port: number): Promise<Running> {
  // `-p -1`: the server picks a free port and logs it, so no other process can race us for it.
  const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)];
  const child = spawn('sh', ['-c', WATCHDOG, 'nats-server', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let listening = port;
    let pid = 0;
    const log: string[] = [];
    const timer = setTimeout(() => fail(new Error('nats-server did not get ready')), READY_TIMEOUT_MS);
    const lines = createInterface({ input: child.stderr! });
    function fail(err: Error): void {
      clearTimeout(timer);
      child.stdin?.end();
      reject(new Error(`${err.message}:\n${log.join('\n')}`));
    }
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`nats-server exited (${code ?? signal}) before it was ready`)));
    lines.on('line', (line) => {
      if (log.length < 50) log.push(line);
      // Every line starts with the server's pid: `[1234] 2026/12/03 12:00:00.000000 [INF] …`.
      pid ||= Number(/^\[(\d+)\]/.exec(line)?.[1] ?? 0);
      const m = /Listening for client connections on [^\s]+:(\d+)/.exec(line);
      if (m) listening = Number(m[1]);
      if (line.includes('Server is ready')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        if (pid === 0) fail(new Error('nats-server logged no pid'));
        else resolve({ child, pid, port: listening });
      }
    });
  });
}

/** Signals the server and waits until it (and so its watchdog) has exited. */
async function kill(running: Running, signal: NodeJS.Signals): Promise<void> {
  const { child } = running;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(running.pid, signal);
    } catch {
      // Already gone; the watchdog exits with it.
    }
    await exited;
  }
  child.stdin?.end();
}

let streams = 0;

export async function startNatsServer(): Promise<NatsTestServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'cc-nats-'));
  let current: Running | null = null;
  try {
    current = await run(storeDir, -1);
  } catch (err) {
    rmSync(storeDir, { recursive: true, force: true });
    throw err;
  }
  const port = current.port;
  // A test process that dies should not leave a server behind.
  const onExit = (): void => {
    try {
      if (current) process.kill(current.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', onExit);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop(signal = 'SIGKILL') {
      if (current) await kill(current, signal);
      current = null;
    },
    async start() {
      if (current) throw new Error('nats-server is running');
      current = await run(storeDir, port);
    },
    names() {
      streams += 1;
      const tag = `t${process.pid}x${streams}`;
      return { streamName: `CC_${tag}`, subjectPrefix: `cc.${tag}` };
    },
    async close() {
      if (current) await kill(current, 'SIGKILL');
      current = null;
      process.removeListener('exit', onExit);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** One nats-server for the test file: started before its tests, stopped and removed after. */
export function useNatsServer(): () => NatsTestServer {
  let server: NatsTestServer | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  }, 30_000);
  return () => {
    if (!server) throw new Error('nats-server is not running: call useNatsServer() at the top of the file');
    return server;
  };
}
