/**
 * The replication settings (src/replication): rows of the settings table
 * (./settings.ts spreads them into SETTINGS, which checks their shape).
 */

/** Validates `replicaof`: empty, or a host and a port (config.c `replicaof`). */
export function checkReplicaof(text: string): string | null {
  if (text === '') return null;
  const w = text.trim().split(/\s+/);
  if (w.length !== 2) return 'wrong number of arguments';
  if (!/^[0-9]+$/.test(w[1]!) || Number(w[1]) > 65535) return 'Invalid master port';
  return null;
}

/** Replication's rows of the settings table, in `--help` order. */
export const REPLICATION_SETTINGS = [
  {
    name: 'replicaof',
    type: 'string',
    default: '',
    runtime: false,
    check: checkReplicaof,
    words: true,
    aliases: ['slaveof'],
    description: "'<host> <port>': start as a replica of that primary; REPLICAOF changes it (CONFIG REWRITE keeps it)",
  },
  {
    name: 'masterauth',
    type: 'string',
    default: '',
    runtime: true,
    description: "password a replica gives its primary's AUTH; empty: none",
  },
  {
    name: 'masteruser',
    type: 'string',
    default: '',
    runtime: true,
    description: 'user name a replica gives with masterauth (AUTH <user> <password>); empty: AUTH <password>',
  },
  {
    name: 'replica-read-only',
    type: 'bool',
    default: 'yes',
    runtime: true,
    description: 'a replica refuses writes from clients with -READONLY',
  },
  {
    name: 'replica-serve-stale-data',
    type: 'bool',
    default: 'yes',
    runtime: true,
    description: 'a replica whose link to its primary is down still answers reads (no: -MASTERDOWN)',
  },
  {
    name: 'repl-backlog-size',
    type: 'bytes',
    default: '1mb',
    min: 1,
    max: 2 ** 63,
    runtime: true,
    unit: 'bytes',
    description:
      'WAL a primary keeps, beyond what snapshots need, for replicas to resume by partial sync; past it, a full sync',
  },
  {
    name: 'repl-timeout',
    type: 'int',
    default: '60',
    min: 1,
    max: 2147483647,
    runtime: true,
    unit: 'seconds',
    description:
      'a replica that receives nothing from its primary for this long (it pings every second) drops the link ' +
      'and reconnects',
  },
  {
    name: 'replica-priority',
    type: 'int',
    default: '100',
    min: 0,
    max: 2147483647,
    runtime: true,
    description: "INFO's slave_priority, which Sentinel reads: lower is promoted first, 0 never",
  },
  {
    name: 'replica-announce-ip',
    type: 'string',
    default: '',
    runtime: true,
    description: 'address a replica announces to its primary (REPLCONF ip-address); empty: the one it connects from',
  },
  {
    name: 'replica-announce-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    runtime: true,
    description: 'port a replica announces to its primary (REPLCONF listening-port); 0: its own port',
  },
  {
    name: 'min-replicas-to-write',
    type: 'int',
    default: '0',
    min: 0,
    max: 2147483647,
    runtime: true,
    description:
      'a primary refuses writes (-NOREPLICAS) unless this many replicas acknowledged within min-replicas-max-lag; ' +
      '0: off',
  },
  {
    name: 'min-replicas-max-lag',
    type: 'int',
    default: '10',
    min: 0,
    max: 2147483647,
    runtime: true,
    unit: 'seconds',
    description: 'how recent a replica’s last acknowledgement must be to count for min-replicas-to-write; 0: off',
  },
  {
    name: 'min-replicas-sync',
    type: 'int',
    default: '0',
    min: 0,
    max: 2147483647,
    runtime: true,
    description:
      "synchronous replication: a primary's replies wait until this many replicas have the records they saw on disk; " +
      '0: off',
  },
  {
    name: 'min-replicas-sync-timeout',
    type: 'int',
    default: '5000',
    min: 1,
    max: 2147483647,
    runtime: true,
    unit: 'ms',
    description: 'how long a reply waits for min-replicas-sync replicas before min-replicas-sync-policy applies',
  },
  {
    name: 'min-replicas-sync-policy',
    type: 'enum',
    default: 'refuse',
    values: ['refuse', 'degrade'],
    runtime: true,
    description:
      'on timeout: refuse answers the write -NOREPLICAS (it is durable here only) and writes with too few replicas ' +
      'online; degrade releases replies and logs, until the replicas catch up',
  },
] as const;
