/**
 * What every bench reports the same way (the shape `sqlite-binding.bench.ts` writes): the
 * machine it ran on, order statistics, and `bench-results/<name>.json` at the repository root
 * (`{ benchmark, date, machine, settings, results, ratios }`).
 */
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release } from 'node:os';
import { join } from 'node:path';

const TMPFS_MAGIC = 0x01021994;

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  /** True when the benchmark's files sit on tmpfs, where fsync costs nothing. */
  tmpfs: boolean;
}

/** Describes this machine; `dir` is where the benchmark keeps its files. */
export function machine(dir: string): Machine {
  const cpu = cpus();
  const tmpfs = statfsSync(dir).type === TMPFS_MAGIC;
  if (tmpfs) console.warn(`warning: ${dir} is on tmpfs, fsync costs nothing there; set TMPDIR to a real disk`);
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    tmpfs,
  };
}

export function machineLine(m: Machine): string {
  return `machine: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.os}${m.tmpfs ? ' (tmpfs!)' : ''}`;
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The `p` quantile (0–1) by the nearest-rank rule on a copy of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Rounds to `digits` decimals for the JSON report. */
export const round = (n: number, digits = 3): number => Number(n.toFixed(digits));

/** Writes `bench-results/<name>.json` at the repository root and answers its path. */
export function writeReport(
  name: string,
  report: { machine: Machine; settings: object; results: object; ratios: object },
): string {
  const out = join(import.meta.dirname, '..', '..', 'bench-results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}.json`);
  const body = { benchmark: name, date: new Date().toISOString(), ...report };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

/**
 * A plain-text table: one header row, a rule, then the rows; each column as wide as its widest
 * cell, numbers (a signed number, perhaps with × or %; —, ∞ or never) aligned right.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = (cell: string) => /^([-+−]?[\d,.]+[×%]?|—|∞|never)$/.test(cell);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c > 0 && numeric(cell) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
