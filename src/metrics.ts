/**
 * A small Prometheus registry and text encoder (exposition format 0.0.4), runtime-neutral.
 * The API registers HTTP counts and database collectors; the runner registers its own metrics
 * (activations, durations, pool use) on `defaultRegistry` with `registerMetric` or the
 * `counter`/`gauge`/`histogram` helpers, and `GET /metrics` renders them all.
 *
 * @example
 * const activations = defaultRegistry.counter('weir_activations_total', 'Activations run', ['queue']);
 * activations.inc({ queue: 'weir_default' });
 * registerMetric({ name: 'weir_pool_in_use', help: 'Connections in use', type: 'gauge', collect: () => [{ value: pool.inUse }] });
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Record<string, string>;
export interface Sample {
  /** Suffix appended to the family name (`_bucket`, `_sum`, `_count` for histograms). */
  suffix?: string;
  labels?: Labels;
  value: number;
}
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  collect(): Sample[] | Promise<Sample[]>;
}

const key = (labels: Labels = {}) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

export class MetricsRegistry {
  readonly #families = new Map<string, MetricFamily>();
  readonly #parents: MetricsRegistry[];

  constructor(parents: MetricsRegistry[] = []) {
    this.#parents = parents;
  }

  register(family: MetricFamily): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(family.name)) throw new Error(`invalid metric name ${family.name}`);
    this.#families.set(family.name, family);
  }

  counter(name: string, help: string): { inc(labels?: Labels, by?: number): void } {
    const values = new Map<string, { labels: Labels; value: number }>();
    this.register({ name, help, type: 'counter', collect: () => [...values.values()].map((v) => ({ labels: v.labels, value: v.value })) });
    return {
      inc(labels = {}, by = 1) {
        const k = key(labels);
        const v = values.get(k);
        if (v) v.value += by;
        else values.set(k, { labels, value: by });
      },
    };
  }

  gauge(name: string, help: string): { set(value: number, labels?: Labels): void } {
    const values = new Map<string, { labels: Labels; value: number }>();
    this.register({ name, help, type: 'gauge', collect: () => [...values.values()].map((v) => ({ labels: v.labels, value: v.value })) });
    return { set: (value, labels = {}) => void values.set(key(labels), { labels, value }) };
  }

  histogram(name: string, help: string, buckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]) {
    const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
    this.register({
      name,
      help,
      type: 'histogram',
      collect: () =>
        [...series.values()].flatMap((s) => [
          ...buckets.map((b, i) => ({ suffix: '_bucket', labels: { ...s.labels, le: String(b) }, value: s.counts[i] })),
          { suffix: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count },
          { suffix: '_sum', labels: s.labels, value: s.sum },
          { suffix: '_count', labels: s.labels, value: s.count },
        ]),
    });
    return {
      observe(value: number, labels: Labels = {}) {
        const k = key(labels);
        let s = series.get(k);
        if (!s) series.set(k, (s = { labels, counts: buckets.map(() => 0), sum: 0, count: 0 }));
        buckets.forEach((b, i) => {
          if (value <= b) s.counts[i]++;
        });
        s.sum += value;
        s.count++;
      },
    };
  }

  families(): MetricFamily[] {
    const all = new Map<string, MetricFamily>();
    for (const p of this.#parents) for (const f of p.families()) all.set(f.name, f);
    for (const f of this.#families.values()) all.set(f.name, f);
    return [...all.values()];
  }

  /** The text exposition. A collector that throws is skipped (and named in a comment), not fatal. */
  async render(): Promise<string> {
    let out = '';
    for (const f of this.families()) {
      let samples: Sample[];
      try {
        samples = await f.collect();
      } catch {
        out += `# collector for ${f.name} failed\n`;
        continue;
      }
      out += `# HELP ${f.name} ${f.help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}\n# TYPE ${f.name} ${f.type}\n`;
      for (const s of samples) out += `${f.name}${s.suffix ?? ''}${labelText(s.labels)} ${formatValue(s.value)}\n`;
    }
    return out;
  }
}

function labelText(labels: Labels = {}): string {
  const entries = Object.entries(labels);
  if (!entries.length) return '';
  const esc = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
  return `{${entries.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The process-wide registry every app's `/metrics` includes. */
export const defaultRegistry = new MetricsRegistry();

export function registerMetric(family: MetricFamily): void {
  defaultRegistry.register(family);
}
