/**
 * The syntax of redis.conf values that are more than one word or number:
 * memory values with units, `rename-command` entries and
 * `client-output-buffer-limit` classes (Redis's config.c).
 */
import { splitInlineArgs } from '../protocol/decoder.js';

/**
 * Parses a redis.conf memory value: digits with an optional unit,
 * `b`, `k` (1000), `kb` (1024), `m`, `mb`, `g`, `gb`, any case.
 *
 * @returns bytes, or NaN when the text is not a memory value
 */
export function parseBytes(text: string): number {
  const m = /^([0-9]+)([a-z]*)$/i.exec(text.trim());
  if (!m) return NaN;
  const units: Record<string, number> = {
    '': 1,
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1e6,
    mb: 1024 ** 2,
    g: 1e9,
    gb: 1024 ** 3,
  };
  const mul = units[m[2]!.toLowerCase()];
  if (mul === undefined) return NaN;
  return Number(m[1]) * mul;
}

/**
 * The entries of `rename-command`: one `old new` per line (or per `;`), the
 * new name `""` (or nothing) disabling the command.
 *
 * @returns [old, new] pairs, new '' for disabled; null when an entry is malformed
 */
export function parseRenames(text: string): [string, string][] | null {
  const out: [string, string][] = [];
  for (const line of text.split(/[\n;]/)) {
    const args = splitInlineArgs(Buffer.from(line.trim(), 'utf8'));
    if (args === null) return null;
    if (args.length === 0) continue;
    if (args.length > 2) return null;
    out.push([args[0]!.toString('utf8'), args[1]?.toString('utf8') ?? '']);
  }
  return out;
}

/** One class of `client-output-buffer-limit`: bytes, bytes, seconds (0: no limit). */
export interface OutputBufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/**
 * Parses `client-output-buffer-limit` as redis.conf writes it: one or more
 * `<class> <hard> <soft> <soft-seconds>` groups, class `normal`, `replica`
 * (or `slave`) or `pubsub`, sizes in memory units (config.c).
 *
 * @returns the limits by class, or null when the text is malformed
 */
export function parseOutputBufferLimits(text: string): Map<string, OutputBufferLimit> | null {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length % 4 !== 0) return null;
  const out = new Map<string, OutputBufferLimit>();
  for (let i = 0; i < words.length; i += 4) {
    const cls = words[i]!.toLowerCase();
    if (!['normal', 'replica', 'slave', 'pubsub'].includes(cls)) return null;
    const hard = parseBytes(words[i + 1]!);
    const soft = parseBytes(words[i + 2]!);
    const secs = /^[0-9]+$/.test(words[i + 3]!) ? Number(words[i + 3]) : NaN;
    if (Number.isNaN(hard) || Number.isNaN(soft) || Number.isNaN(secs)) return null;
    out.set(cls === 'slave' ? 'replica' : cls, { hard, soft, softSeconds: secs });
  }
  return out;
}
