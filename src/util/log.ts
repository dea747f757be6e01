/** Logging goes to stderr (results go to files); one line per message, prefixed by the tool. */
let quiet = false;
export function setQuiet(q: boolean): void {
  quiet = q;
}
export function log(msg: string): void {
  if (!quiet) process.stderr.write(`jemda: ${msg}\n`);
}
export function warn(msg: string): void {
  process.stderr.write(`jemda: WARNING: ${msg}\n`);
}
