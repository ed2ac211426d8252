/**
 * How cache-dump prints bytes: keys and values are binary-safe, so text
 * output quotes and escapes them as redis-cli does, and JSON output keeps
 * UTF-8 text as strings and anything else as base64.
 */
import cliProgress from 'cli-progress';

/** Input that cannot be read as a WAL or snapshot (exit code 2). */
export class UnusableInput extends Error {
  override readonly name = 'UnusableInput';
}

/**
 * One argument for a human-readable line: bare when it is printable ASCII
 * without quotes or backslashes, else double-quoted with `\n \r \t \" \\` and
 * `\xHH` escapes (the inverse of the inline-command quoting Redis reads).
 */
export function escapeArg(buf: Uint8Array): string {
  let plain = buf.length > 0;
  for (const b of buf) {
    if (b < 0x21 || b > 0x7e || b === 0x22 || b === 0x27 || b === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return Buffer.from(buf).toString('latin1');
  let out = '"';
  for (const b of buf) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x22) out += '\\"';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** Bytes for JSON: a string when they are valid UTF-8, else `{ "base64": ... }`. */
export function jsonBytes(buf: Uint8Array): string | { base64: string } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const text = b.toString('utf8');
  return Buffer.byteLength(text, 'utf8') === b.length && Buffer.from(text, 'utf8').equals(b)
    ? text
    : { base64: b.toString('base64') };
}

/** An ISO-8601 time from Unix seconds, or '-' for 0. */
export function isoSeconds(s: number): string {
  return s > 0 ? new Date(s * 1000).toISOString() : '-';
}

/** Left-aligned columns separated by two spaces. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** A progress bar on stderr when stderr is a terminal; nothing otherwise. */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

/**
 * Starts a progress bar over `total` units (bytes) labelled `what`, drawn on
 * stderr only when it is a terminal, so pipes and files never see it.
 */
export function progress(what: string, total: number): Progress {
  if (!process.stderr.isTTY || total === 0) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${what} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta}s`,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}

/** Writes to stdout, waiting for the pipe to drain when it is full (large exports). */
export async function out(text: string | Buffer): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
}
