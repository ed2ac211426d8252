/**
 * The cluster settings (src/cluster, docs/CLUSTER.md): rows of the settings
 * table (./settings.ts spreads them into SETTINGS). Names, defaults, bounds
 * and which ones CONFIG SET refuses follow Redis 7.0's config.c.
 */

/** Cluster's rows of the settings table, in `--help` order. */
export const CLUSTER_SETTINGS = [
  {
    name: 'cluster-enabled',
    type: 'bool',
    default: 'no',
    runtime: false,
    immutable: true,
    description: 'Redis Cluster mode: hash slots, redirections, the cluster bus (docs/CLUSTER.md)',
  },
  {
    name: 'cluster-config-file',
    type: 'string',
    default: 'nodes.conf',
    runtime: false,
    immutable: true,
    description: "the cluster's nodes file, in the data directory (written by the server, never by hand)",
  },
  {
    name: 'cluster-node-timeout',
    type: 'int',
    default: '15000',
    min: 0,
    max: 2 ** 63,
    runtime: true,
    unit: 'milliseconds',
    description: 'a node unreachable this long is suspected failing (PFAIL); a majority of primaries makes it FAIL',
  },
  {
    name: 'cluster-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    runtime: false,
    immutable: true,
    description: 'cluster bus port (0: the client port + 10000)',
  },
  {
    name: 'cluster-announce-ip',
    type: 'string',
    default: '',
    runtime: true,
    description: 'address other nodes and clients are told to reach this node at (empty: learnt from peers)',
  },
  {
    name: 'cluster-announce-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    runtime: true,
    description: 'client port announced to the cluster (0: the port listened on)',
  },
  {
    name: 'cluster-announce-bus-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    runtime: true,
    description: 'bus port announced to the cluster (0: the bus port listened on)',
  },
  {
    name: 'cluster-require-full-coverage',
    type: 'bool',
    default: 'yes',
    runtime: true,
    description: 'the cluster refuses keys (CLUSTERDOWN) while any hash slot has no live owner',
  },
  {
    name: 'cluster-allow-reads-when-down',
    type: 'bool',
    default: 'no',
    runtime: true,
    description: 'reads are served while the cluster is down (writes still get CLUSTERDOWN)',
  },
  {
    name: 'cluster-allow-pubsubshard-when-down',
    type: 'bool',
    default: 'yes',
    runtime: true,
    description: 'SPUBLISH and SSUBSCRIBE are served while the cluster is down',
  },
  {
    name: 'cluster-replica-validity-factor',
    aliases: ['cluster-slave-validity-factor'],
    type: 'int',
    default: '10',
    min: 0,
    max: 2147483647,
    runtime: true,
    description:
      'a replica whose link to its primary was down longer than node-timeout times this does not fail over (0: always)',
  },
  {
    name: 'cluster-allow-replica-migration',
    type: 'bool',
    default: 'yes',
    runtime: true,
    description: 'a primary left without slots becomes a replica of the node that took them',
  },
  {
    name: 'cluster-replica-no-failover',
    aliases: ['cluster-slave-no-failover'],
    type: 'bool',
    default: 'no',
    runtime: true,
    description: 'this replica never fails over its primary automatically (CLUSTER FAILOVER still works)',
  },
] as const;
