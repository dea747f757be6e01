/**
 * Several bench runs → one table: per row the median of jemda's values, of the peer's values and
 * of the per-run ratios, with the ratios' range (this machine is shared; one run can be off by 2×).
 */
export interface BenchRow {
  name: string;
  unit: string;
  jemda: number;
  peer: string;
  peer_value: number | null;
  ratio: number | null;
  note?: string;
  /** With several runs: each run's values, and the range of the ratio. */
  runs?: { jemda: number[]; peer_value: (number | null)[]; ratio: (number | null)[] };
  ratio_range?: [number, number] | null;
}

export function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Rows of the same names across runs (the first run's order; a row missing from a run is an error). */
export function aggregateRuns(runs: BenchRow[][]): BenchRow[] {
  if (runs.length === 0) return [];
  return runs[0].map((r0) => {
    const same = runs.map((rows, i) => {
      const r = rows.find((x) => x.name === r0.name);
      if (!r) throw new Error(`bench run ${i + 1} has no row '${r0.name}'`);
      return r;
    });
    const nums = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null && Number.isFinite(x));
    const peers = same.map((r) => r.peer_value);
    const ratios = same.map((r) => r.ratio);
    const rs = nums(ratios);
    return {
      ...r0,
      jemda: median(same.map((r) => r.jemda)),
      peer_value: nums(peers).length ? median(nums(peers)) : null,
      ratio: rs.length ? median(rs) : null,
      ratio_range: rs.length ? [Math.min(...rs), Math.max(...rs)] : null,
      runs: { jemda: same.map((r) => r.jemda), peer_value: peers, ratio: ratios },
    };
  });
}
