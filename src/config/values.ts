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

/** The classes of `client-output-buffer-limit` in CONFIG GET's order, as Redis names them there. */
const OUTPUT_CLASSES = ['normal', 'slave', 'pubsub'] as const;

/** Redis 7.0's `client-output-buffer-limit` (config.c `clientBufferLimitsDefaults`), under every text. */
const REDIS_OUTPUT_LIMITS = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

/**
 * Parses `client-output-buffer-limit` as redis.conf writes it: zero or more
 * `<class> <hard> <soft> <soft-seconds>` groups, class `normal`, `replica`
 * (or `slave`) or `pubsub`, sizes in memory units (config.c
 * `setConfigClientOutputBufferLimitOption`).
 *
 * @returns the limits of the classes named (`replica` as `slave`), or the
 *   error text Redis gives for the first fault: the group count, a class, a size
 */
export function parseOutputBufferLimits(text: string): Map<string, OutputBufferLimit> | string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length % 4 !== 0) return 'Wrong number of arguments in buffer limit configuration.';
  const out = new Map<string, OutputBufferLimit>();
  for (let i = 0; i < words.length; i += 4) {
    const cls = words[i]!.toLowerCase();
    if (!['normal', 'replica', 'slave', 'pubsub'].includes(cls))
      return 'Invalid client class specified in buffer limit configuration.';
    const hard = parseBytes(words[i + 1]!);
    const soft = parseBytes(words[i + 2]!);
    const secs = /^[0-9]+$/.test(words[i + 3]!) ? Number(words[i + 3]) : NaN;
    if (Number.isNaN(hard) || Number.isNaN(soft) || Number.isNaN(secs))
      return 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';
    out.set(cls === 'replica' ? 'slave' : cls, { hard, soft, softSeconds: secs });
  }
  return out;
}

/**
 * `client-output-buffer-limit` after `text` is applied to `current`: the
 * classes `text` names take its limits, the others keep theirs, and the
 * result is the form CONFIG GET shows, every class in bytes
 * (`normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60`).
 *
 * @param current the value before (a full or partial setting text)
 * @throws Error with Redis's text when `text` is malformed
 */
export function mergeOutputBufferLimits(current: string, text: string): string {
  const merged = new Map<string, OutputBufferLimit>();
  for (const layer of [REDIS_OUTPUT_LIMITS, current, text]) {
    const limits = parseOutputBufferLimits(layer);
    if (typeof limits === 'string') throw new Error(limits);
    for (const [cls, limit] of limits) merged.set(cls, limit);
  }
  return OUTPUT_CLASSES.map((cls) => {
    const l = merged.get(cls)!;
    return `${cls} ${l.hard} ${l.soft} ${l.softSeconds}`;
  }).join(' ');
}
