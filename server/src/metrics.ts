/** Prometheus text exposition (format 0.0.4) of the components' metric families. */
import type { MetricSample } from '@carecircle/protocol';

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels || Object.keys(labels).length === 0) return '';
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return `{${parts.join(',')}}`;
}

/** Families of the same name (one per consumer, say) are merged: each name appears once. */
export function renderPrometheus(samples: readonly MetricSample[]): string {
  const families = new Map<string, MetricSample>();
  for (const s of samples) {
    const seen = families.get(s.name);
    if (seen) seen.values.push(...s.values);
    else families.set(s.name, { ...s, values: [...s.values] });
  }
  const lines: string[] = [];
  for (const s of families.values()) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
    for (const v of s.values) lines.push(`${s.name}${labelText(v.labels)} ${v.value}`);
  }
  return `${lines.join('\n')}\n`;
}
