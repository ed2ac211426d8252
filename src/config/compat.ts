/**
 * Redis 7.0 settings with no counterpart here (replication, cluster, Lua,
 * modules, system integration...), accepted so that a redis.conf written for
 * Redis loads, CONFIG GET answers what tools ask, and CONFIG SET stores what
 * it is given: each is a no-op with Redis's name, default and, where Redis
 * has them, its IMMUTABLE_CONFIG and HIDDEN_CONFIG flags (config.c
 * `standardConfig configs[]`). ./settings.ts turns the rows into settings.
 *
 * Settings that another part of FlashCache implements are not here.
 */

/** How a row's value is read: as an integer, a memory value, yes/no, or any text. */
export type CompatKind = 'int' | 'bytes' | 'bool' | 'string';

/**
 * Row flags: `immutable` (CONFIG SET refuses it), `hidden` (CONFIG GET with
 * a pattern leaves it out), `percent` (a memory value or a percentage up to
 * 100%, as `maxmemory-clients`).
 */
export type CompatFlag = 'immutable' | 'hidden' | 'percent';

/** One accepted Redis setting: name, default, kind, flags. */
export type CompatRow = readonly [name: string, def: string, kind: CompatKind, flags: readonly CompatFlag[]];

const I: readonly CompatFlag[] = ['immutable'];
const H: readonly CompatFlag[] = ['hidden'];
const N: readonly CompatFlag[] = [];

/**
 * Redis 7.0's second names for settings (config.c `createBoolConfig(name,
 * alias, ...)`): the config file, CONFIG SET and CONFIG GET take either, and
 * a CONFIG GET pattern lists both. Keyed by the setting's name.
 */
export const REDIS_ALIASES: ReadonlyMap<string, string> = new Map([
  ['busy-reply-threshold', 'lua-time-limit'],
  ['hash-max-listpack-entries', 'hash-max-ziplist-entries'],
  ['hash-max-listpack-value', 'hash-max-ziplist-value'],
  ['list-max-listpack-size', 'list-max-ziplist-size'],
  ['min-replicas-max-lag', 'min-slaves-max-lag'],
  ['min-replicas-to-write', 'min-slaves-to-write'],
  ['repl-ping-replica-period', 'repl-ping-slave-period'],
  ['replica-announce-ip', 'slave-announce-ip'],
  ['replica-announce-port', 'slave-announce-port'],
  ['replica-ignore-maxmemory', 'slave-ignore-maxmemory'],
  ['replica-lazy-flush', 'slave-lazy-flush'],
  ['replica-priority', 'slave-priority'],
  ['replica-read-only', 'slave-read-only'],
  ['replica-serve-stale-data', 'slave-serve-stale-data'],
  ['replicaof', 'slaveof'],
  ['zset-max-listpack-entries', 'zset-max-ziplist-entries'],
  ['zset-max-listpack-value', 'zset-max-ziplist-value'],
]);

/**
 * Config-file directives that are not settings (config.c
 * `loadServerConfigFromString`): ACL users, modules, Sentinel, and the
 * deprecated names Redis 7.0 still accepts silently. FlashCache reads them
 * and lists them in its start-up warning; `include` is followed (./config.ts).
 */
export const IGNORED_DIRECTIVES: ReadonlySet<string> = new Set([
  'user',
  'loadmodule',
  'sentinel',
  'list-max-ziplist-entries',
  'list-max-ziplist-value',
  'lua-replicate-commands',
]);

/** The rows, in Redis's alphabetical CONFIG GET order. */
export const REDIS_ONLY: readonly CompatRow[] = [
  ['acl-pubsub-default', 'resetchannels', 'string', N],
  ['aclfile', '', 'string', I],
  ['acllog-max-len', '128', 'int', N],
  ['active-defrag-ignore-bytes', '104857600', 'bytes', N],
  ['active-defrag-max-scan-fields', '1000', 'int', N],
  ['active-defrag-threshold-lower', '10', 'int', N],
  ['active-defrag-threshold-upper', '100', 'int', N],
  ['active-expire-effort', '1', 'int', N],
  ['always-show-logo', 'no', 'bool', I],
  ['aof-disable-auto-gc', 'no', 'bool', N],
  ['aof-timestamp-enabled', 'no', 'bool', N],
  ['aof_rewrite_cpulist', '', 'string', I],
  ['appenddirname', 'appendonlydir', 'string', I],
  ['auto-aof-rewrite-min-size', '67108864', 'bytes', N],
  ['auto-aof-rewrite-percentage', '100', 'int', N],
  ['bgsave_cpulist', '', 'string', I],
  ['bind-source-addr', '', 'string', N],
  ['bio_cpulist', '', 'string', I],
  ['busy-reply-threshold', '5000', 'int', N],
  ['cluster-announce-hostname', '', 'string', N],
  ['cluster-announce-tls-port', '0', 'int', N],
  ['cluster-link-sendbuf-limit', '0', 'bytes', N],
  ['cluster-migration-barrier', '1', 'int', N],
  ['cluster-preferred-endpoint-type', 'ip', 'string', N],
  ['crash-log-enabled', 'yes', 'bool', N],
  ['crash-memcheck-enabled', 'yes', 'bool', N],
  ['disable-thp', 'yes', 'bool', I],
  ['enable-module-command', 'no', 'string', I],
  ['enable-protected-configs', 'no', 'string', I],
  ['ignore-warnings', '', 'string', N],
  ['io-threads', '1', 'int', I],
  ['io-threads-do-reads', 'no', 'bool', I],
  ['jemalloc-bg-thread', 'yes', 'bool', N],
  ['key-load-delay', '0', 'int', H],
  ['loading-process-events-interval-bytes', '2097152', 'int', H],
  ['maxmemory-clients', '0', 'string', ['percent']],
  ['oom-score-adj', 'no', 'string', N],
  ['oom-score-adj-values', '0 200 800', 'string', N],
  ['proc-title-template', '{title} {listen-addr} {server-mode}', 'string', N],
  ['propagation-error-behavior', 'ignore', 'string', N],
  ['rdb-del-sync-files', 'no', 'bool', N],
  ['rdb-key-save-delay', '0', 'int', H],
  ['repl-backlog-ttl', '3600', 'int', N],
  ['repl-disable-tcp-nodelay', 'no', 'bool', N],
  ['repl-diskless-load', 'disabled', 'string', N],
  ['repl-diskless-sync', 'yes', 'bool', N],
  ['repl-diskless-sync-delay', '5', 'int', N],
  ['repl-diskless-sync-max-replicas', '0', 'int', N],
  ['repl-ping-replica-period', '10', 'int', N],
  ['replica-announced', 'yes', 'bool', N],
  ['replica-ignore-disk-write-errors', 'no', 'bool', N],
  ['replica-ignore-maxmemory', 'yes', 'bool', N],
  ['replica-lazy-flush', 'no', 'bool', N],
  ['sanitize-dump-payload', 'no', 'string', N],
  ['server_cpulist', '', 'string', I],
  ['set-proc-title', 'yes', 'bool', I],
  ['shutdown-on-sigint', 'default', 'string', N],
  ['shutdown-on-sigterm', 'default', 'string', N],
  ['shutdown-timeout', '10', 'int', N],
  ['socket-mark-id', '0', 'int', I],
  ['syslog-enabled', 'no', 'bool', I],
  ['syslog-facility', 'local0', 'string', I],
  ['syslog-ident', 'redis', 'string', I],
  ['tls-ca-cert-dir', '', 'string', N],
  ['tls-ciphers', '', 'string', N],
  ['tls-ciphersuites', '', 'string', N],
  ['tls-client-cert-file', '', 'string', N],
  ['tls-client-key-file', '', 'string', N],
  ['tls-client-key-file-pass', '', 'string', N],
  ['tls-cluster', 'no', 'bool', N],
  ['tls-dh-params-file', '', 'string', N],
  ['tls-key-file-pass', '', 'string', N],
  ['tls-prefer-server-ciphers', 'no', 'bool', N],
  ['tls-protocols', '', 'string', N],
  ['tls-replication', 'no', 'bool', N],
  ['tls-session-cache-size', '20480', 'int', N],
  ['tls-session-cache-timeout', '300', 'int', N],
  ['tls-session-caching', 'yes', 'bool', N],
  ['unixsocket', '', 'string', I],
  ['unixsocketperm', '0', 'int', I],
  ['use-exit-on-panic', 'no', 'bool', ['immutable', 'hidden']],
  ['watchdog-period', '0', 'int', H],
];

/**
 * The rows as settings (the shape of ./settings.ts `SettingDef`): no-ops,
 * left out of `--help` and README's table.
 *
 * @param llongMax the bound of integer and memory values (Redis's `LLONG_MAX`)
 */
export function redisOnlySettings(llongMax: number): CompatSetting[] {
  return REDIS_ONLY.map(([name, def, kind, flags]) => ({
    name,
    type: kind,
    default: def,
    ...(kind === 'int' ? { min: -llongMax, max: llongMax } : {}),
    ...(kind === 'bytes' ? { min: 0, max: llongMax } : {}),
    runtime: !flags.includes('immutable'),
    immutable: flags.includes('immutable'),
    unlisted: flags.includes('hidden'),
    check: flags.includes('percent') ? checkPercentOrBytes : undefined,
    noop: true,
    hidden: true,
    description: 'Redis setting, no effect here',
  }));
}

/** A setting made from a row (structurally a ./settings.ts `SettingDef`). */
export interface CompatSetting {
  name: string;
  type: CompatKind;
  default: string;
  min?: number;
  max?: number;
  runtime: boolean;
  immutable: boolean;
  unlisted: boolean;
  check?: (text: string) => string | null;
  noop: true;
  hidden: true;
  description: string;
}

/** A `maxmemory-clients` value: a memory value, or a percentage of maxmemory up to 100 (config.c). */
function checkPercentOrBytes(text: string): string | null {
  if (text.endsWith('%')) {
    const p = text.slice(0, -1);
    if (!/^[0-9]+$/.test(p)) return 'argument must be a memory or percent value';
    return Number(p) > 100 ? 'percentage argument must be less or equal to 100' : null;
  }
  return /^[0-9]+([kmg]b?|b)?$/i.test(text) ? null : 'argument must be a memory or percent value';
}

/**
 * Validates `latency-tracking-info-percentiles`: numbers from 0 to 100, as
 * config.c `setConfigLatencyTrackingInfoPercentilesOutputOption` wants them.
 */
export function checkPercentiles(text: string): string | null {
  for (const w of text.split(' ').filter((x) => x !== '')) {
    const v = Number(w);
    if (!/^[-+]?[0-9.eE+-]+$/.test(w) || Number.isNaN(v)) return 'Invalid latency-tracking-info-percentiles parameters';
    if (v < 0 || v > 100) return 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]';
  }
  return null;
}
