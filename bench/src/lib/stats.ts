// Latency samples and percentiles; samples are kept whole (a run has at most a few million) and sorted once.

export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  add(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  addAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.add(values[i] as number);
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  summary(): LatencySummary {
    return summarize(this.values());
  }
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const at = (q: number) => sorted[Math.min(n - 1, Math.ceil(q * n) - 1)] as number;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    mean: sum / n,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[n - 1] as number,
  };
}

export const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

export const fmtMs = (s: LatencySummary): string =>
  `p50 ${round(s.p50, 2)} ms, p95 ${round(s.p95, 2)} ms, p99 ${round(s.p99, 2)} ms, max ${round(s.max, 1)} ms (n=${s.count})`;
