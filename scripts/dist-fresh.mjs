// Whether the compiled dist/ (`npm run build`, scripts/build.mjs) may stand in for src/: it has a
// build stamp, no file under src/ was modified after the build started, and every source module
// has its compiled twin. Otherwise scripts/jemda.mjs runs the sources through tsx.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const STAMP = 'dist/.built-at';

function walk(dir, rel, ext, out) {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) walk(path.join(dir, d.name), r, ext, out);
    else if (d.name.endsWith(ext) && !d.name.endsWith('.d.ts')) out.push(r);
  }
  return out;
}

/** src/ modules, relative to src/ (a/b.ts). */
export function sourceFiles(root) {
  return walk(path.join(root, 'src'), '', '.ts', []);
}

/** Compiled modules, relative to dist/ (a/b.js). */
export function distFiles(root) {
  return fs.existsSync(path.join(root, 'dist')) ? walk(path.join(root, 'dist'), '', '.js', []) : [];
}

export function distIsFresh(root) {
  let built;
  try {
    built = Number(fs.readFileSync(path.join(root, STAMP), 'utf8'));
  } catch {
    return false; // never built (or a build in progress)
  }
  if (!Number.isFinite(built)) return false;
  for (const rel of sourceFiles(root)) {
    if (fs.statSync(path.join(root, 'src', rel)).mtimeMs > built) return false;
    if (!fs.existsSync(path.join(root, 'dist', rel.replace(/\.ts$/, '.js')))) return false;
  }
  return true;
}
