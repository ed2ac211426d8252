/**
 * The classes of keyspace events and `notify-keyspace-events`, Redis's
 * class-letter syntax for choosing them (notify.c
 * `keyspaceEventsStringToFlags`, `keyspaceEventsFlagsToString`; the bits of
 * server.h `NOTIFY_*`). The command families fire events of these classes
 * (src/commands/notify.ts).
 *
 * Reference: https://redis.io/docs/latest/develop/use/keyspace-notifications/
 */

/** `K`: events published on `__keyspace@<db>__:<key>`. */
export const NOTIFY_KEYSPACE = 1 << 0;
/** `E`: events published on `__keyevent@<db>__:<event>`. */
export const NOTIFY_KEYEVENT = 1 << 1;
/** `g`: generic commands (DEL, EXPIRE, RENAME...). */
export const NOTIFY_GENERIC = 1 << 2;
/** `$`: string commands. */
export const NOTIFY_STRING = 1 << 3;
/** `l`: list commands. */
export const NOTIFY_LIST = 1 << 4;
/** `s`: set commands. */
export const NOTIFY_SET = 1 << 5;
/** `h`: hash commands. */
export const NOTIFY_HASH = 1 << 6;
/** `z`: sorted set commands. */
export const NOTIFY_ZSET = 1 << 7;
/** `x`: a key expired. */
export const NOTIFY_EXPIRED = 1 << 8;
/** `e`: a key was evicted at maxmemory. */
export const NOTIFY_EVICTED = 1 << 9;
/** `t`: stream commands (accepted; FlashCache has no streams). */
export const NOTIFY_STREAM = 1 << 10;
/** `m`: a read found no key (not part of `A`). */
export const NOTIFY_KEY_MISS = 1 << 11;
/** `d`: module events (accepted; FlashCache has no modules). */
export const NOTIFY_MODULE = 1 << 13;
/** `n`: a key was created (not part of `A`). */
export const NOTIFY_NEW = 1 << 14;
/** `A`: alias for `g$lshzxetd`. */
export const NOTIFY_ALL =
  NOTIFY_GENERIC |
  NOTIFY_STRING |
  NOTIFY_LIST |
  NOTIFY_SET |
  NOTIFY_HASH |
  NOTIFY_ZSET |
  NOTIFY_EXPIRED |
  NOTIFY_EVICTED |
  NOTIFY_STREAM |
  NOTIFY_MODULE;

const LETTERS: Readonly<Record<string, number>> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/** Redis's error for a letter that names no class (config.c `setConfigNotifyKeyspaceEventsOption`). */
export const INVALID_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/**
 * The class bits a `notify-keyspace-events` value selects (`KEA`, `Ex`...;
 * empty: none).
 *
 * @returns the bits, or null when a character names no class
 */
export function parseKeyspaceEvents(text: string): number | null {
  let flags = 0;
  for (const ch of text) {
    const bit = LETTERS[ch];
    if (bit === undefined) return null;
    flags |= bit;
  }
  return flags;
}

/**
 * The canonical text of class bits, as CONFIG GET reports it: `A` for all
 * of `g$lshzxetd`, else their letters in that order, then `K`, `E`, `m`
 * (`KEA` reads back as `AKE`).
 */
export function formatKeyspaceEvents(flags: number): string {
  let out = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    out += 'A';
  } else {
    const order: [number, string][] = [
      [NOTIFY_GENERIC, 'g'],
      [NOTIFY_STRING, '$'],
      [NOTIFY_LIST, 'l'],
      [NOTIFY_SET, 's'],
      [NOTIFY_HASH, 'h'],
      [NOTIFY_ZSET, 'z'],
      [NOTIFY_EXPIRED, 'x'],
      [NOTIFY_EVICTED, 'e'],
      [NOTIFY_STREAM, 't'],
      [NOTIFY_MODULE, 'd'],
      [NOTIFY_NEW, 'n'],
    ];
    for (const [bit, letter] of order) if (flags & bit) out += letter;
  }
  if (flags & NOTIFY_KEYSPACE) out += 'K';
  if (flags & NOTIFY_KEYEVENT) out += 'E';
  if (flags & NOTIFY_KEY_MISS) out += 'm';
  return out;
}
