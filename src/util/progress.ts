/**
 * Progress bars on stderr via cli-progress. On a non-TTY stderr (CI, logs) the bar is replaced by
 * a log line every 10% so logs stay readable.
 */
import cliProgress from 'cli-progress';
import { log } from './log.ts';

export interface Progress {
  tick(n?: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

export function progress(title: string, total: number): Progress {
  if (process.stderr.isTTY && process.env.JEMDA_NO_PROGRESS !== '1') {
    const bar = new cliProgress.SingleBar(
      { format: `${title} [{bar}] {percentage}% {value}/{total} eta {eta_formatted} {info}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      tick(n = 1, payload) {
        bar.increment(n, payload ? { info: Object.entries(payload).map(([k, v]) => `${k}=${v}`).join(' ') } : undefined);
      },
      stop() {
        bar.stop();
      },
    };
  }
  let done = 0;
  let nextReport = total / 10;
  const t0 = Date.now();
  return {
    tick(n = 1, payload) {
      done += n;
      if (done >= nextReport || done === total) {
        nextReport += total / 10;
        const extra = payload ? ' ' + Object.entries(payload).map(([k, v]) => `${k}=${v}`).join(' ') : '';
        log(`${title}: ${done}/${total} (${((Date.now() - t0) / 1000).toFixed(1)} s)${extra}`);
      }
    },
    stop() {},
  };
}
