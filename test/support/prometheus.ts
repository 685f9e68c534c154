/** One sample of the Prometheus text exposition format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
// Special values are matched without regard to case, as Prometheus's own parser (Go's ParseFloat)
// does: prom-client writes "Nan" for an event-loop histogram that has no sample yet.
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (-?[0-9.eE+-]+|[Nn][Aa][Nn]|\\+Inf|-Inf)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\]|\\\\.)*)"/g;

/**
 * A strict parser of the text format (version 0.0.4): every line must be a
 * HELP, a TYPE or a sample, and every sample must belong to a declared metric.
 * Throws on the first line that is not valid.
 */
export function parsePrometheus(text: string): Sample[] {
  const declared = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3] ?? ''))
          throw new Error(`line ${index + 1}: bad type: ${line}`);
        declared.set(meta[2] ?? '', meta[3] ?? '');
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`line ${index + 1}: not a valid sample: ${line}`);
    const name = match[1] ?? '';
    const family = name.replace(/_(bucket|sum|count|total|created)$/, '');
    if (!declared.has(name) && !declared.has(family))
      throw new Error(`line ${index + 1}: sample of an undeclared metric: ${name}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) labels[label[1] ?? ''] = label[2] ?? '';
    samples.push({ name, labels, value: /^nan$/i.test(match[3] ?? '') ? Number.NaN : Number(match[3]) });
  }
  return samples;
}

export function valueOf(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
