/** Prometheus text exposition (format 0.0.4) of the platform's counters and gauges. */

export interface Sample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: { labels?: Record<string, string>; value: number }[];
}

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels || Object.keys(labels).length === 0) return '';
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return `{${parts.join(',')}}`;
}

export function renderPrometheus(samples: readonly Sample[]): string {
  const lines: string[] = [];
  for (const s of samples) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
    for (const v of s.values) lines.push(`${s.name}${labelText(v.labels)} ${v.value}`);
  }
  return `${lines.join('\n')}\n`;
}
