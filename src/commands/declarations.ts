/**
 * What the command table declares about each command, in Redis's terms:
 * flags, groups and key specs (COMMAND INFO, COMMAND DOCS, and the key-specs
 * page: https://redis.io/docs/latest/develop/reference/key-specs/).
 * ./context.ts re-exports them with the rest of the command contract.
 */
/** Command flags as Redis names them (COMMAND INFO shows them). */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'asking'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_mandatory_keys'
  | 'sentinel'
  | 'no_async_loading'
  | 'no_multi'
  | 'allow_busy';

/** Command groups as the Redis command reference names them (COMMAND DOCS `group`). */
export type CommandGroup =
  | 'generic'
  | 'string'
  | 'list'
  | 'set'
  | 'sorted-set'
  | 'hash'
  | 'pubsub'
  | 'transactions'
  | 'connection'
  | 'scripting'
  | 'server'
  | 'bitmap'
  | 'geo'
  | 'hyperloglog'
  | 'stream'
  | 'cluster';

/** Key-spec flags as Redis names them (the key-specs page, "flags"). */
export type KeySpecFlag =
  | 'RO'
  | 'RW'
  | 'OW'
  | 'RM'
  | 'access'
  | 'update'
  | 'insert'
  | 'delete'
  | 'not_key'
  | 'incomplete'
  | 'variable_flags';

/** Where the search for a key spec's keys begins (`begin_search`). */
export type BeginSearch =
  /** At argument `index` (1 is the first argument after the name). */
  | { readonly type: 'index'; readonly index: number }
  /**
   * After the first argument equal to `keyword` (any case), searched from
   * argument `startFrom` towards the end, or from the end backwards when
   * `startFrom` is negative.
   */
  | { readonly type: 'keyword'; readonly keyword: string; readonly startFrom: number }
  /** Not describable (SORT's BY, GET and STORE): the command's {@link KeysFunction} finds its keys. */
  | { readonly type: 'unknown' };

/** How a key spec's keys are found from where the search began (`find_keys`). */
export type FindKeys =
  /**
   * Every `step`-th argument up to `lastKey` after the first key (0: only the
   * first; negative: counted from the end of the arguments, -1 the last).
   * With `limit` > 0 and `lastKey` -1, only the first 1/limit of the remaining arguments.
   */
  | { readonly type: 'range'; readonly lastKey: number; readonly step: number; readonly limit: number }
  /**
   * The argument `keyNumIdx` after the begin position holds the number of
   * keys; they start `firstKey` arguments after the begin position, every
   * `step`-th argument.
   */
  | { readonly type: 'keynum'; readonly keyNumIdx: number; readonly firstKey: number; readonly step: number }
  /** Not describable: the command's {@link KeysFunction} finds its keys. */
  | { readonly type: 'unknown' };

/** One of a command's key specs. */
export interface KeySpec {
  /** Redis's explanation of unusual flags (COMMAND INFO shows it). */
  readonly notes?: string;
  readonly flags: readonly KeySpecFlag[];
  readonly begin: BeginSearch;
  readonly find: FindKeys;
}

/** A key argument of a call, as a command's {@link KeysFunction} finds it. */
export interface KeyRef {
  /** Index into the call's arguments (the name is 0). */
  readonly pos: number;
  readonly flags: readonly KeySpecFlag[];
}

/**
 * Finds the keys of a call whose key specs cannot (one of them is
 * `unknown`), as Redis's `get_keys_function` (db.c `sortGetKeys`) does.
 */
export type KeysFunction = (argv: readonly Uint8Array[]) => KeyRef[];
