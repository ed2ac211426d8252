/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN], after Redis
 * 7.0's t_string.c `lcsCommand`: the longest common subsequence of two
 * strings by the dynamic-programming table, walked back from its end to
 * build the subsequence and, with IDX, the matching ranges (last first).
 * Read-only: nothing is logged.
 *
 * Reference: https://redis.io/docs/latest/commands/lcs/
 */
import { EntryType } from '../store/arena.js';
import type { CommandContext, CommandSpec } from './context.js';
import { countRead } from './keys.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, parseInt64 } from './util.js';

const EMPTY = Buffer.alloc(0);

/** One IDX range: positions in the first and the second string, inclusive, and its length. */
type Match = [aStart: number, aEnd: number, bStart: number, bEnd: number, len: number];

/** The string at `key` read for LCS (a keyspace hit or miss), EMPTY when absent, null when of another type. */
function readString(c: CommandContext, key: Buffer): Buffer | null {
  const slot = c.db.lookup(key);
  countRead(c, key, slot);
  if (slot < 0) return EMPTY;
  return c.db.type(slot) === EntryType.String ? c.db.value(slot) : null;
}

function lcsCommand(c: CommandContext, argv: Buffer[]): void {
  const a0 = readString(c, argv[1]!);
  const b0 = readString(c, argv[2]!);
  if (a0 === null || b0 === null) return c.reply.error('ERR The specified keys must contain string values');
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!;
    if (isWord(opt, 'IDX')) getIdx = true;
    else if (isWord(opt, 'LEN')) getLen = true;
    else if (isWord(opt, 'WITHMATCHLEN')) withMatchLen = true;
    else if (isWord(opt, 'MINMATCHLEN') && j + 1 < argv.length) {
      const v = parseInt64(argv[++j]!);
      if (v === null) return c.reply.error(ERR.notInteger);
      minMatchLen = v < 0n ? 0 : v > 1n << 40n ? 2 ** 40 : Number(v);
    } else {
      return c.reply.error(ERR.syntax);
    }
  }
  if (getLen && getIdx) return c.reply.error('ERR If you want both the length and indexes, please just use IDX.');
  const alen = a0.length;
  const blen = b0.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > c.server.config.get('proto-max-bulk-len')) {
    return c.reply.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  // Copies: the table's allocation must not see the arena move under the views.
  const a = Buffer.from(a0);
  const b = Buffer.from(b0);
  const w = blen + 1;
  const t = new Uint32Array(cells);
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      if (a[i - 1] === b[j - 1]) t[i * w + j] = t[(i - 1) * w + j - 1]! + 1;
      else {
        const l1 = t[(i - 1) * w + j]!;
        const l2 = t[i * w + j - 1]!;
        t[i * w + j] = Math.max(l1, l2);
      }
    }
  }
  const total = t[alen * w + blen]!;
  if (getLen) return c.reply.int(total);
  const result = Buffer.alloc(total);
  const matches: Match[] = [];
  let idx = total;
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1]!;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (t[(i - 1) * w + j]! > t[i * w + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    const len = aEnd - aStart + 1;
    if (emit) {
      if (minMatchLen === 0 || len >= minMatchLen) matches.push([aStart, aEnd, bStart, bEnd, len]);
      aStart = alen;
    }
  }
  if (!getIdx) return c.reply.bulk(result);
  c.reply.mapLen(2);
  c.reply.bulkAscii('matches');
  c.reply.arrayLen(matches.length);
  for (const m of matches) {
    c.reply.arrayLen(withMatchLen ? 3 : 2);
    c.reply.arrayLen(2);
    c.reply.int(m[0]);
    c.reply.int(m[1]);
    c.reply.arrayLen(2);
    c.reply.int(m[2]);
    c.reply.int(m[3]);
    if (withMatchLen) c.reply.int(m[4]);
  }
  c.reply.bulkAscii('len');
  c.reply.int(total);
}

/** LCS's table entry. */
export const lcsCommands: CommandSpec[] = [
  command({
    name: 'lcs',
    arity: -3,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'], 1)],
    group: 'string',
    since: '7.0.0',
    complexity: 'O(N*M) where N and M are the lengths of s1 and s2, respectively',
    summary: 'Find longest common substring',
    handler: lcsCommand,
  }),
];
