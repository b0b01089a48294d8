/**
 * One metric family as a component reports it; the server renders all of them as Prometheus
 * text at `/metrics`. Each component names and describes its own (no one reaches into
 * another's counters).
 */
export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: { labels?: Record<string, string>; value: number }[];
}

/** Anything that reports metrics; async because some read a store. */
export interface MetricSource {
  samples(): MetricSample[] | Promise<MetricSample[]>;
}
