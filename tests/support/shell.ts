/**
 * One `bash` session, fed a command at a time, as a reader types a README's steps into a
 * terminal: what one command exports or assigns is there for the next, and each command's exit
 * status and output come back separately.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ROOT } from './harness';

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Shell {
  /** Runs `command` exactly as given (continuation lines and comments included). */
  run(command: string): Promise<ShellResult>;
  close(): Promise<void>;
}

/** A safety net, as for the platforms: no session outlives the test process. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function openShell(env: NodeJS.ProcessEnv): Shell {
  // Its own process group, so a command still running when a test gives up goes with it.
  const child = spawn('bash', ['--noprofile', '--norc'], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  let onOutput: (() => void) | undefined;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onOutput?.();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    onOutput?.();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let busy = false;

  return {
    run(command) {
      if (busy) throw new Error('shell: one command at a time');
      busy = true;
      // bash reads a pipe byte by byte, so the marker line stays unread until the command is
      // done. The leading newline puts the marker on a line of its own after output that does
      // not end in one (curl's JSON).
      const marker = `__cc_done_${randomBytes(6).toString('hex')}__`;
      const end = new RegExp(`\\n${marker} (\\d+)\\n`);
      const endErr = `${marker}\n`;
      return new Promise<ShellResult>((resolve, reject) => {
        const check = (): void => {
          const done = end.exec(stdout);
          const errAt = stderr.indexOf(endErr);
          if (!done || errAt < 0) return;
          onOutput = undefined;
          busy = false;
          const result = { code: Number(done[1]), stdout: stdout.slice(0, done.index), stderr: stderr.slice(0, errAt) };
          stdout = stdout.slice(done.index + done[0].length);
          stderr = stderr.slice(errAt + endErr.length);
          resolve(result);
        };
        onOutput = check;
        void exited.then((code) => reject(new Error(`bash exited with ${code} during: ${command}\n${stderr}`)));
        child.stdin.write(
          `${command}\n__cc_rc=$?; printf '\\n%s %d\\n' '${marker}' "$__cc_rc"; printf '%s\\n' '${marker}' >&2\n`,
        );
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (busy) killGroup(child);
      else child.stdin.end();
      await exited;
    },
  };
}
