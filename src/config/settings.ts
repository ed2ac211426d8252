/**
 * The settings table and what reads and writes its values: one row per
 * setting (name, type, default, bounds, whether CONFIG SET may change it),
 * the value syntax of redis.conf (`maxmemory 32mb`, `appendfsync always`,
 * `yes`/`no`), and Redis's error texts for bad values (config.c).
 *
 * The table's literal types give {@link Settings}, the typed value of every
 * setting, so `config.get('maxmemory-policy')` is an `EvictionPolicy` and
 * `config.get('port')` a number with no cast anywhere.
 *
 * Reference: https://redis.io/docs/latest/operate/oss_and_stack/management/config/
 */
import { EVICTION_POLICIES } from '../store/eviction.js';
import { CLUSTER_SETTINGS } from './cluster-settings.js';
import { checkPercentiles, REDIS_ALIASES, redisOnlySettings } from './compat.js';
import { PROCESS_SETTINGS } from './process-settings.js';
import { REPLICATION_SETTINGS } from './replication-settings.js';
import { mergeOutputBufferLimits, parseBytes, parseRenames } from './values.js';

/** Redis's `LLONG_MAX` as an upper bound (2^63, the nearest double); errors print it as Redis does. */
export const LLONG_MAX = 2 ** 63;
import { formatKeyspaceEvents, INVALID_EVENT_CLASS, parseKeyspaceEvents } from './keyspace-events.js';

/** Kinds of setting values. */
export type SettingType = 'int' | 'bytes' | 'enum' | 'string' | 'bool';

/** A setting's value: a number (`int`, `bytes`), a boolean (`bool`), or text (`enum`, `string`). */
export type SettingValue = string | number | boolean;

/** One row of the settings table. */
export interface SettingDef {
  /** redis.conf name. */
  name: string;
  type: SettingType;
  /** Default, in config-file syntax. */
  default: string;
  /** Allowed values of an `enum`. */
  values?: readonly string[];
  /** Inclusive bounds of an `int` or `bytes`. */
  min?: number;
  max?: number;
  /**
   * Whether CONFIG SET may change it while running. One that may not still
   * accepts its current value (OK, nothing changes), as Redis lets CONFIG SET
   * change `port` or `bind`, unless it is {@link immutable}.
   */
  runtime: boolean;
  /** Redis's IMMUTABLE_CONFIG: CONFIG SET refuses it whatever the value (`databases`, `daemonize`). */
  immutable?: boolean;
  /** Redis's HIDDEN_CONFIG: CONFIG GET returns it when named exactly, never for a pattern. */
  unlisted?: boolean;
  /** Accepted for compatibility; has no effect. */
  noop?: boolean;
  /** Hidden from `--help` (no-ops). */
  hidden?: boolean;
  /** Unit shown in help, e.g. "bytes", "seconds". */
  unit?: string;
  /** One line for `--help` (README.md's configuration table says the same). */
  description: string;
  /** Extra validation of a `string` value: an error text in Redis's words, or null. */
  check?: (text: string) => string | null;
  /**
   * A `string` value that a new text changes in part (Redis keeps the
   * `client-output-buffer-limit` classes a CONFIG SET does not name): the
   * value after `text`, in the form CONFIG GET shows.
   *
   * @param current the value before (the default at start)
   * @throws Error with Redis's error text when `text` is malformed
   */
  merge?: (current: string, text: string) => string;
  /** How CONFIG GET reports a `string` value, when not as given (Redis's canonical form of the value). */
  display?: (text: string) => string;
  /** Left out of CONFIG GET (`rename-command`: the new names are secrets, and Redis does not list it either). */
  secret?: boolean;
  /**
   * May be given many times (`rename-command`): config-file lines and flags
   * add up, one entry per line of the value; the environment variable
   * separates entries with `;`.
   */
  multi?: boolean;
  /**
   * Redis's MULTI_ARG_CONFIG written as `replicaof` is: CONFIG REWRITE writes
   * the words as separate arguments, and no line at all for an empty value.
   */
  words?: boolean;
  /** Other names the config file may use for it (`slaveof` for `replicaof`). */
  aliases?: readonly string[];
}

/**
 * The settings table, in the order of `--help`. Its literal types give
 * {@link Settings}: each setting's name and the type of its value.
 */
export const SETTINGS = [
  {
    name: 'port',
    type: 'int',
    default: '6379',
    min: 0,
    max: 65535,
    runtime: false,
    description: 'TCP port to listen on (0: pick a free one and log it)',
  },
  {
    name: 'bind',
    type: 'string',
    default: '127.0.0.1',
    runtime: false,
    description: 'addresses to listen on, space-separated',
  },
  {
    name: 'dir',
    type: 'string',
    default: './data',
    runtime: false,
    description: 'data directory (WAL, snapshots, LOCK)',
  },
  {
    name: 'metrics-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    runtime: false,
    description: 'HTTP port of /metrics and the dashboard, on the bind addresses, behind requirepass; 0: off',
  },
  {
    name: 'import-rdb',
    type: 'string',
    default: '',
    runtime: false,
    description: 'a redis-server dump.rdb (RDB 1-11) to load at start-up into an empty data directory',
  },
  {
    name: 'appendfsync',
    type: 'enum',
    default: 'always',
    values: ['everysec', 'always', 'no'],
    runtime: true,
    description: 'when replies wait for the disk: always (every write durable before its reply), everysec, no',
  },
  {
    name: 'databases',
    type: 'int',
    default: '16',
    min: 1,
    max: 65536,
    runtime: false,
    immutable: true,
    description: 'number of databases (SELECT 0..n-1)',
  },
  {
    name: 'wal-segment-size',
    type: 'bytes',
    default: '64mb',
    min: 4096,
    max: 2 ** 30,
    runtime: true,
    unit: 'bytes',
    description: 'size at which a WAL segment is closed and a new one started',
  },
  {
    name: 'wal-recovery',
    type: 'enum',
    default: 'tolerate-tail',
    values: ['tolerate-tail', 'strict', 'skip-corrupt'],
    runtime: false,
    description: 'damaged WAL at start-up: truncate a torn tail only, refuse any damage, or skip damaged records',
  },
  {
    name: 'snapshot-interval',
    type: 'int',
    default: '300',
    min: 0,
    max: 2 ** 31 - 1,
    runtime: true,
    unit: 'seconds',
    description: 'take a snapshot this often when anything changed (0: never on a timer)',
  },
  {
    name: 'snapshot-wal-bytes',
    type: 'bytes',
    default: '256mb',
    min: 0,
    max: 2 ** 50,
    runtime: true,
    unit: 'bytes',
    description: 'take a snapshot once this much WAL was written since the last one (0: never by size)',
  },
  {
    name: 'log-level',
    type: 'enum',
    default: 'info',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    runtime: true,
    description: 'lowest level of log lines written to stdout',
  },
  {
    name: 'proto-max-bulk-len',
    type: 'bytes',
    default: '512mb',
    min: 1024 * 1024,
    max: 2 ** 31 - 1,
    runtime: true,
    unit: 'bytes',
    description: 'largest bulk string a client may send',
  },
  {
    name: 'hll-sparse-max-bytes',
    type: 'bytes',
    default: '3000',
    min: 0,
    max: LLONG_MAX,
    runtime: true,
    unit: 'bytes',
    description: 'a sparse HyperLogLog that would grow past this many bytes (header included) becomes dense',
  },
  {
    name: 'stream-node-max-bytes',
    type: 'bytes',
    default: '4096',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    runtime: true,
    unit: 'bytes',
    description: "bytes after which a stream node takes no more entries (0: 1 GiB, listpack.c's maximum)",
  },
  {
    name: 'stream-node-max-entries',
    type: 'int',
    default: '100',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    runtime: true,
    description: 'entries after which a stream node takes no more (0: no limit); also bounds `~` trims',
  },
  {
    name: 'tls-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    runtime: false,
    description: 'TLS port to listen on as well, on the same addresses (0: no TLS)',
  },
  {
    name: 'tls-cert-file',
    type: 'string',
    default: '',
    runtime: false,
    description: "the server's certificate (PEM), needed with tls-port",
  },
  {
    name: 'tls-key-file',
    type: 'string',
    default: '',
    runtime: false,
    description: "the server's private key (PEM), needed with tls-port",
  },
  {
    name: 'tls-ca-cert-file',
    type: 'string',
    default: '',
    runtime: false,
    description: 'CA certificates (PEM) that client certificates must chain to',
  },
  {
    name: 'tls-auth-clients',
    type: 'enum',
    default: 'yes',
    values: ['yes', 'no', 'optional'],
    runtime: false,
    description: 'client certificates: required (yes, as Redis), not asked for (no), or checked when given (optional)',
  },
  {
    name: 'requirepass',
    type: 'string',
    default: '',
    runtime: true,
    description:
      'password clients must give with AUTH (or HELLO ... AUTH default <password>) before any other command; ' +
      'empty: none',
  },
  {
    name: 'protected-mode',
    type: 'bool',
    default: 'yes',
    runtime: true,
    description: 'with no requirepass, refuse clients that connect from anywhere but loopback (-DENIED)',
  },
  {
    name: 'maxclients',
    type: 'int',
    default: '10000',
    min: 1,
    max: 1_000_000,
    runtime: true,
    description:
      'connections served at once; the next gets -ERR max number of clients reached (lowered at start to what the ' +
      'open-files limit allows)',
  },
  {
    name: 'timeout',
    type: 'int',
    default: '0',
    min: 0,
    max: 2 ** 31 - 1,
    runtime: true,
    unit: 'seconds',
    description: 'close a client idle this long (0: never); blocked clients are exempt',
  },
  {
    name: 'tcp-keepalive',
    type: 'int',
    default: '300',
    min: 0,
    max: 2 ** 31 - 1,
    runtime: true,
    unit: 'seconds',
    description: 'TCP keepalive probe interval for new connections (0: off), so half-open peers are found',
  },
  {
    name: 'client-query-buffer-limit',
    type: 'bytes',
    default: '1gb',
    min: 1024 * 1024,
    max: 2 ** 53 - 1,
    runtime: true,
    unit: 'bytes',
    description: 'unparsed input one client may have buffered (a command still arriving); past it the client is closed',
  },
  {
    name: 'client-output-buffer-limit',
    type: 'string',
    default: 'normal 1gb 256mb 60',
    runtime: true,
    description:
      "'<class> <hard> <soft> <soft-seconds>': a client whose unsent replies reach hard, or stay above soft that " +
      'long, is closed (classes normal and pubsub; replica is accepted)',
    merge: mergeOutputBufferLimits,
  },
  {
    name: 'rename-command',
    type: 'string',
    default: '',
    runtime: false,
    multi: true,
    secret: true,
    description:
      'renames a command, or disables it with "" as the new name: "FLUSHALL """, "CONFIG admin-config"; repeatable',
    check: (text) =>
      parseRenames(text) === null ? 'rename-command takes a command name and a new name (or "" to disable it)' : null,
  },
  {
    name: 'maxmemory',
    type: 'bytes',
    default: '0',
    min: 0,
    max: 2 ** 53 - 1,
    runtime: true,
    unit: 'bytes',
    description: 'memory the data may use (used_memory) before keys are evicted by maxmemory-policy (0: no limit)',
  },
  {
    name: 'maxmemory-policy',
    type: 'enum',
    default: 'noeviction',
    values: EVICTION_POLICIES,
    runtime: true,
    description:
      'what goes at maxmemory: noeviction (writes get -OOM), allkeys-/volatile- lru, lfu, fifo, random, or ' +
      'volatile-ttl',
  },
  {
    name: 'maxmemory-samples',
    type: 'int',
    default: '5',
    min: 1,
    max: 64,
    runtime: true,
    description: 'keys sampled per database per eviction round (more: closer to exact LRU/LFU/FIFO, more CPU)',
  },
  {
    name: 'maxmemory-eviction-tenacity',
    type: 'int',
    default: '10',
    min: 0,
    max: 100,
    runtime: true,
    description:
      'how long one command may evict before the rest is left to the background: 10 is 500 us, each step above ' +
      '+15%, 100 unlimited',
  },
  {
    name: 'lfu-log-factor',
    type: 'int',
    default: '10',
    min: 0,
    max: 2 ** 31 - 1,
    runtime: true,
    description: 'LFU counter growth: higher needs more hits to raise the counter (Redis semantics)',
  },
  {
    name: 'lfu-decay-time',
    type: 'int',
    default: '1',
    min: 0,
    max: 2 ** 31 - 1,
    runtime: true,
    unit: 'minutes',
    description: 'LFU counter decays by one per this many minutes without access (0: never)',
  },
  {
    name: 'notify-keyspace-events',
    type: 'string',
    default: '',
    runtime: true,
    description:
      "keyspace events published to pub/sub, as Redis's class letters: K and/or E, then classes (A, g, $, l, s, h, " +
      'z, x, e, n, m); empty: none',
    check: (text) => (parseKeyspaceEvents(text) === null ? INVALID_EVENT_CLASS : null),
    display: (text) => formatKeyspaceEvents(parseKeyspaceEvents(text) ?? 0),
  },
  {
    name: 'tracking-table-max-keys',
    type: 'int',
    default: '1000000',
    min: 0,
    max: 2 ** 53 - 1,
    runtime: true,
    description:
      'keys the client-side caching table remembers; past it keys are dropped at random and their readers sent ' +
      'invalidations (0: no limit)',
  },
  {
    name: 'appendonly',
    type: 'bool',
    default: 'yes',
    runtime: false,
    description: 'always yes: every write goes to the WAL (reported for tools that ask)',
  },
  {
    name: 'slowlog-log-slower-than',
    type: 'int',
    default: '10000',
    min: -1,
    max: LLONG_MAX,
    runtime: true,
    unit: 'microseconds',
    description: 'SLOWLOG keeps commands that ran at least this long (0: every command, -1: none)',
  },
  {
    name: 'slowlog-max-len',
    type: 'int',
    default: '128',
    min: 0,
    max: LLONG_MAX,
    runtime: true,
    description: 'entries SLOWLOG keeps; the oldest go first',
  },
  {
    name: 'latency-monitor-threshold',
    type: 'int',
    default: '0',
    min: 0,
    max: LLONG_MAX,
    runtime: true,
    unit: 'milliseconds',
    description:
      'LATENCY records events (commands, WAL syncs, snapshots, expiry, eviction) this slow or slower (0: off)',
  },
  {
    name: 'latency-tracking',
    type: 'bool',
    default: 'yes',
    runtime: true,
    description: 'keep a latency histogram per command (LATENCY HISTOGRAM, INFO latencystats)',
  },
  {
    name: 'latency-tracking-info-percentiles',
    type: 'string',
    default: '50 99 99.9',
    runtime: true,
    description: 'percentiles INFO latencystats reports, space-separated',
    check: checkPercentiles,
  },
  {
    name: 'enable-debug-command',
    type: 'enum',
    default: 'no',
    values: ['no', 'yes', 'local'],
    runtime: false,
    immutable: true,
    description: 'DEBUG: refused (no), allowed (yes), or allowed from loopback connections only (local)',
  },
  ...REPLICATION_SETTINGS,
  ...PROCESS_SETTINGS,
  ...CLUSTER_SETTINGS,
] as const satisfies readonly SettingDef[];

/**
 * Redis settings that mean nothing here, accepted so that an existing
 * redis.conf loads and tools that read them keep working (README.md,
 * "Configuration"). CONFIG GET reports them; CONFIG SET stores them.
 */
export const COMPAT_SETTINGS: readonly SettingDef[] = [
  {
    name: 'save',
    type: 'string',
    default: '',
    runtime: true,
    noop: true,
    hidden: true,
    description: 'RDB save points; snapshots are configured by snapshot-* settings',
  },
  ...[
    ['hash-max-listpack-entries', '128'],
    ['hash-max-listpack-value', '64'],
    ['list-max-listpack-size', '-2'],
    ['list-compress-depth', '0'],
    ['set-max-intset-entries', '512'],
    ['set-max-listpack-entries', '128'],
    ['set-max-listpack-value', '64'],
    ['zset-max-listpack-entries', '128'],
    ['zset-max-listpack-value', '64'],
    ['hz', '10'],
    ['active-defrag-cycle-min', '1'],
    ['active-defrag-cycle-max', '25'],
  ].map(
    ([name, def]): SettingDef => ({
      name: name!,
      type: 'int',
      default: def!,
      runtime: true,
      noop: true,
      hidden: true,
      description: 'Redis tuning knob, no effect here',
    }),
  ),
  ...[
    ['activerehashing', 'yes'],
    ['dynamic-hz', 'yes'],
    ['lazyfree-lazy-eviction', 'no'],
    ['lazyfree-lazy-expire', 'no'],
    ['lazyfree-lazy-server-del', 'no'],
    ['lazyfree-lazy-user-del', 'no'],
    ['lazyfree-lazy-user-flush', 'no'],
    ['activedefrag', 'no'],
    ['stop-writes-on-bgsave-error', 'yes'],
    ['rdbcompression', 'yes'],
    ['rdbchecksum', 'yes'],
    ['aof-use-rdb-preamble', 'yes'],
    ['no-appendfsync-on-rewrite', 'no'],
    ['aof-rewrite-incremental-fsync', 'yes'],
    ['rdb-save-incremental-fsync', 'yes'],
    ['aof-load-truncated', 'yes'],
  ].map(
    ([name, def]): SettingDef => ({
      name: name!,
      type: 'bool',
      default: def!,
      runtime: true,
      noop: true,
      hidden: true,
      description: 'Redis tuning knob, no effect here',
    }),
  ),
  ...[['tcp-backlog', '511', 'int']].map(
    ([name, def, type]): SettingDef => ({
      name: name!,
      type: type as 'bool' | 'int',
      default: def!,
      runtime: false,
      immutable: true,
      noop: true,
      hidden: true,
      description: 'Redis start-up setting, no effect here',
    }),
  ),
  {
    name: 'dbfilename',
    type: 'string',
    default: 'dump.rdb',
    runtime: true,
    noop: true,
    hidden: true,
    description: 'Redis RDB file name, no effect here',
  },
  {
    name: 'appendfilename',
    type: 'string',
    default: 'appendonly.aof',
    runtime: false,
    immutable: true,
    noop: true,
    hidden: true,
    description: 'Redis AOF file name, no effect here',
  },
];

/** The type of a setting's value, from its row of the table. */
type ValueOf<D> = D extends { readonly type: 'int' | 'bytes' }
  ? number
  : D extends { readonly type: 'bool' }
    ? boolean
    : D extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : string;

/** The value of every setting of {@link SETTINGS}, typed by its row. */
export type Settings = { -readonly [D in (typeof SETTINGS)[number] as D['name']]: ValueOf<D> };

/** The name of a setting of {@link SETTINGS}. */
export type SettingName = keyof Settings;

/** Every setting, those of no effect included, in `--help` order. */
export const ALL_SETTINGS: readonly SettingDef[] = [
  ...SETTINGS,
  ...COMPAT_SETTINGS,
  ...redisOnlySettings(LLONG_MAX),
].map((def: SettingDef) => {
  const alias = REDIS_ALIASES.get(def.name);
  return alias === undefined || def.aliases?.includes(alias)
    ? def
    : { ...def, aliases: [...(def.aliases ?? []), alias] };
});

const BY_NAME = new Map(ALL_SETTINGS.flatMap((s) => [s.name, ...(s.aliases ?? [])].map((n) => [n, s] as const)));

/** Looks up a setting (or an accepted Redis setting of no effect) by name or alias, case-insensitively. */
export function settingDef(name: string): SettingDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** A setting failed validation; `message` is the part after Redis's `CONFIG SET failed (...) - `. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates and converts a setting's text to its typed value.
 *
 * @throws ConfigError with Redis's wording
 */
export function parseSetting(def: SettingDef, text: string, current?: string): SettingValue {
  switch (def.type) {
    case 'int': {
      if (!/^-?[0-9]+$/.test(text.trim())) throw new ConfigError("argument couldn't be parsed into an integer");
      return checkBounds(def, Number(text));
    }
    case 'bytes': {
      const n = parseBytes(text);
      if (Number.isNaN(n)) throw new ConfigError('argument must be a memory value');
      return checkBounds(def, n);
    }
    case 'bool': {
      const t = text.toLowerCase();
      if (t === 'yes') return true;
      if (t === 'no') return false;
      throw new ConfigError("argument must be 'yes' or 'no'");
    }
    case 'enum': {
      const t = text.toLowerCase();
      if (!def.values!.includes(t))
        throw new ConfigError(`argument(s) must be one of the following: ${def.values!.join(', ')}`);
      return t;
    }
    case 'string': {
      const err = def.check?.(text) ?? null;
      if (err !== null) throw new ConfigError(err);
      if (def.merge === undefined) return text;
      try {
        return def.merge(current ?? def.default, text);
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
    }
  }
}

function checkBounds(def: SettingDef, n: number): number {
  if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
    const max = def.max === LLONG_MAX ? '9223372036854775807' : String(def.max ?? Number.MAX_SAFE_INTEGER);
    throw new ConfigError(`argument must be between ${def.min ?? 0} and ${max} inclusive`);
  }
  return n;
}

/** Formats a typed value as CONFIG GET reports it (memory values in bytes, booleans as yes/no). */
export function formatSetting(value: SettingValue): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** The environment variable that sets `name`: `FLASHCACHE_` + upper case, dashes as underscores. */
export function envName(name: string): string {
  return 'FLASHCACHE_' + name.toUpperCase().replace(/-/g, '_');
}
