/**
 * Small SVG writers (no dependencies): reliability diagram, line charts (training curves),
 * confusion-matrix heatmap. Each returns the SVG text; callers write it atomically.
 */
import type { ReliabilityBin } from './metrics.ts';

const FONT = 'font-family="sans-serif" font-size="11"';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

/** About `n` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) as number;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Axes with ticks and labels; returns the SVG and the data→pixel mappers. */
function axes(f: Frame, xr: [number, number], yr: [number, number], xLabel: string, yLabel: string, title: string) {
  const sx = (v: number) => f.x + ((v - xr[0]) / (xr[1] - xr[0] || 1)) * f.w;
  const sy = (v: number) => f.y + f.h - ((v - yr[0]) / (yr[1] - yr[0] || 1)) * f.h;
  const parts: string[] = [`<rect x="${f.x}" y="${f.y}" width="${f.w}" height="${f.h}" fill="none" stroke="#444"/>`];
  for (const t of niceTicks(xr[0], xr[1])) {
    parts.push(`<line x1="${sx(t)}" y1="${f.y + f.h}" x2="${sx(t)}" y2="${f.y + f.h + 4}" stroke="#444"/>`);
    parts.push(`<text x="${sx(t)}" y="${f.y + f.h + 16}" text-anchor="middle" ${FONT}>${fmt(t)}</text>`);
  }
  for (const t of niceTicks(yr[0], yr[1])) {
    parts.push(`<line x1="${f.x - 4}" y1="${sy(t)}" x2="${f.x}" y2="${sy(t)}" stroke="#444"/>`);
    parts.push(`<line x1="${f.x}" y1="${sy(t)}" x2="${f.x + f.w}" y2="${sy(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${f.x - 6}" y="${sy(t) + 4}" text-anchor="end" ${FONT}>${fmt(t)}</text>`);
  }
  parts.push(`<text x="${f.x + f.w / 2}" y="${f.y + f.h + 32}" text-anchor="middle" ${FONT}>${escapeXml(xLabel)}</text>`);
  parts.push(`<text transform="translate(${f.x - 40},${f.y + f.h / 2}) rotate(-90)" text-anchor="middle" ${FONT}>${escapeXml(yLabel)}</text>`);
  parts.push(`<text x="${f.x + f.w / 2}" y="${f.y - 8}" text-anchor="middle" font-family="sans-serif" font-size="13">${escapeXml(title)}</text>`);
  return { svg: parts.join('\n'), sx, sy };
}

function svgDoc(w: number, h: number, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}

/** Reliability diagram: per-bin accuracy bars, the gap to the mean confidence, the diagonal. */
export function reliabilitySvg(bins: ReliabilityBin[], title: string, ece?: number): string {
  const f: Frame = { x: 60, y: 30, w: 360, h: 300 };
  const a = axes(f, [0, 1], [0, 1], 'confidence', 'accuracy', title + (ece !== undefined ? ` (ECE ${(100 * ece).toFixed(2)}%)` : ''));
  const parts = [a.svg];
  for (const b of bins) {
    if (b.count === 0) continue;
    const x0 = a.sx(b.lo);
    const w = a.sx(b.hi) - x0;
    const acc = b.accuracy as number;
    const conf = b.confidence as number;
    parts.push(`<rect x="${x0}" y="${a.sy(acc)}" width="${w}" height="${a.sy(0) - a.sy(acc)}" fill="#4477aa" stroke="#224"><title>${b.count} examples, acc ${fmt(acc)}, conf ${fmt(conf)}</title></rect>`);
    const top = Math.max(acc, conf);
    const bot = Math.min(acc, conf);
    parts.push(`<rect x="${x0}" y="${a.sy(top)}" width="${w}" height="${a.sy(bot) - a.sy(top)}" fill="#ee6677" fill-opacity="0.4"/>`);
  }
  parts.push(`<line x1="${a.sx(0)}" y1="${a.sy(0)}" x2="${a.sx(1)}" y2="${a.sy(1)}" stroke="#888" stroke-dasharray="4 3"/>`);
  return svgDoc(460, 380, parts.join('\n'));
}

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#4477aa', '#ee6677', '#228833', '#ccbb44', '#66ccee', '#aa3377'];

function range(vals: number[], pad = 0.05): [number, number] {
  const fin = vals.filter(Number.isFinite);
  if (fin.length === 0) return [0, 1];
  let lo = Math.min(...fin);
  let hi = Math.max(...fin);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

function lineChart(f: Frame, series: Series[], title: string, xLabel: string, yLabel: string): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xr = range(xs, 0);
  const a = axes(f, xr, range(ys), xLabel, yLabel, title);
  const parts = [a.svg];
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length === 0) return;
    const col = COLORS[i % COLORS.length];
    const d = pts.map((p, k) => `${k === 0 ? 'M' : 'L'}${a.sx(p[0]).toFixed(1)},${a.sy(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${col}" stroke-width="1.5"/>`);
    if (pts.length < 40) for (const p of pts) parts.push(`<circle cx="${a.sx(p[0]).toFixed(1)}" cy="${a.sy(p[1]).toFixed(1)}" r="2" fill="${col}"/>`);
    parts.push(`<text x="${f.x + f.w - 4}" y="${f.y + 14 + 14 * i}" text-anchor="end" fill="${col}" ${FONT}>${escapeXml(s.name)}</text>`);
  });
  return parts.join('\n');
}

/** One or more line-chart panels side by side. */
export function lineChartsSvg(panels: { title: string; xLabel: string; yLabel: string; series: Series[] }[]): string {
  const W = 420;
  const body = panels.map((p, i) => lineChart({ x: 70 + i * W, y: 30, w: W - 110, h: 260 }, p.series, p.title, p.xLabel, p.yLabel)).join('\n');
  return svgDoc(W * panels.length, 340, body);
}

/** Training curves from metrics.jsonl records: loss (train) and accuracy (train/dev) vs step. */
export function trainingCurvesSvg(records: Record<string, number | undefined>[]): string {
  const pts = (key: string): [number, number][] =>
    records.filter((r) => typeof r[key] === 'number' && typeof r.step === 'number').map((r) => [r.step as number, r[key] as number]);
  return lineChartsSvg([
    { title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'train', points: pts('loss') }, { name: 'dev NLL', points: pts('devNll') }] },
    { title: 'accuracy', xLabel: 'step', yLabel: 'accuracy', series: [{ name: 'train', points: pts('trainAcc') }, { name: 'dev', points: pts('devAcc') }] },
  ]);
}

/** Confusion-matrix heatmap, rows = true label, columns = predicted; colour = row-normalized. */
export function confusionSvg(confusion: number[][], labels: string[], title: string): string {
  const C = labels.length;
  const cell = Math.max(18, Math.min(40, Math.floor(480 / C)));
  const x0 = 110;
  const y0 = 110;
  const parts: string[] = [`<text x="${x0 + (C * cell) / 2}" y="20" text-anchor="middle" font-family="sans-serif" font-size="13">${escapeXml(title)}</text>`];
  parts.push(`<text x="${x0 + (C * cell) / 2}" y="40" text-anchor="middle" ${FONT}>predicted</text>`);
  parts.push(`<text transform="translate(20,${y0 + (C * cell) / 2}) rotate(-90)" text-anchor="middle" ${FONT}>true</text>`);
  for (let r = 0; r < C; r++) {
    const tot = confusion[r].reduce((a, b) => a + b, 0);
    parts.push(`<text x="${x0 - 4}" y="${y0 + r * cell + cell / 2 + 4}" text-anchor="end" ${FONT}>${escapeXml(labels[r])}</text>`);
    for (let c = 0; c < C; c++) {
      const v = confusion[r][c];
      const frac = tot > 0 ? v / tot : 0;
      const shade = Math.round(255 * (1 - frac));
      parts.push(`<rect x="${x0 + c * cell}" y="${y0 + r * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#ccc"><title>${escapeXml(labels[r])} → ${escapeXml(labels[c])}: ${v}</title></rect>`);
      if (v > 0) parts.push(`<text x="${x0 + c * cell + cell / 2}" y="${y0 + r * cell + cell / 2 + 4}" text-anchor="middle" fill="${frac > 0.5 ? 'white' : 'black'}" font-family="sans-serif" font-size="9">${v}</text>`);
    }
  }
  for (let c = 0; c < C; c++) {
    parts.push(`<text transform="translate(${x0 + c * cell + cell / 2 + 4},${y0 - 6}) rotate(-60)" ${FONT}>${escapeXml(labels[c])}</text>`);
  }
  return svgDoc(x0 + C * cell + 20, y0 + C * cell + 20, parts.join('\n'));
}
