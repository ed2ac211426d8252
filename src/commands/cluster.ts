/**
 * The table entries of Redis Cluster's commands: CLUSTER and its
 * subcommands, ASKING, READONLY and READWRITE (Redis 7.0's
 * src/commands/cluster-*.json: arity, flags, summaries). Their work is done
 * by the server's cluster (`c.server.cluster`, src/cluster); without
 * `cluster-enabled` every one answers Redis's "This instance has cluster
 * support disabled".
 */
import type { CommandContext, CommandFlag, CommandSpec } from './context.js';
import { command, container, subcommandsOf } from './table.js';

/** Redis's reply to a cluster command when cluster mode is off (cluster.c `clusterCommand`). */
export const CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';

/** Passes `CLUSTER <sub> ...` to the cluster, or answers that cluster mode is off. */
function clusterSub(sub: string): CommandSpec['handler'] {
  return (c: CommandContext, argv: Buffer[]) => {
    const cl = c.server.cluster;
    if (cl === undefined) return c.reply.error(CLUSTER_DISABLED);
    cl.command(c, sub, argv);
  };
}

/** ASKING, READONLY, READWRITE (cluster.c `askingCommand`, `readonlyCommand`, `readwriteCommand`). */
function connectionFlag(flag: 'asking' | 'readonly' | 'readwrite'): CommandSpec['handler'] {
  return (c: CommandContext) => {
    const cl = c.server.cluster;
    if (cl === undefined) return c.reply.error(CLUSTER_DISABLED);
    cl.connectionFlag(c, flag);
  };
}

const ADMIN: readonly CommandFlag[] = ['no_async_loading', 'admin', 'stale'];
const sub = subcommandsOf('cluster', 'cluster', ['stale']);
const s = (name: string, arity: number, since: string, complexity: string, summary: string, flags?: CommandFlag[]) =>
  sub(name, arity, since, complexity, summary, clusterSub(name), flags);
const slotsArgs = 'O(N) where N is the total number of hash slot arguments';
const rangeArgs = 'O(N) where N is the total number of the slots between the start slot and end slot arguments.';
const nodes = 'O(N) where N is the total number of Cluster nodes';

/** The CLUSTER container and ASKING, READONLY, READWRITE. */
export const clusterCommands: CommandSpec[] = [
  container('cluster', 'cluster', '3.0.0', 'A container for cluster commands', [
    s('addslots', -3, '3.0.0', slotsArgs, 'Assign new hash slots to receiving node', [...ADMIN]),
    s('addslotsrange', -4, '7.0.0', rangeArgs, 'Assign new hash slots to receiving node', [...ADMIN]),
    s('bumpepoch', 2, '3.0.0', 'O(1)', 'Advance the cluster config epoch', [...ADMIN]),
    s(
      'count-failure-reports',
      3,
      '3.0.0',
      'O(N) where N is the number of failure reports',
      'Return the number of failure reports active for a given node',
      ['admin', 'stale'],
    ),
    s('countkeysinslot', 3, '3.0.0', 'O(1)', 'Return the number of local keys in the specified hash slot'),
    s('delslots', -3, '3.0.0', slotsArgs, 'Set hash slots as unbound in receiving node', [...ADMIN]),
    s('delslotsrange', -4, '7.0.0', rangeArgs, 'Set hash slots as unbound in receiving node', [...ADMIN]),
    s('failover', -2, '3.0.0', 'O(1)', 'Forces a replica to perform a manual failover of its master.', [...ADMIN]),
    s('flushslots', 2, '3.0.0', 'O(1)', "Delete a node's own slots information", [...ADMIN]),
    s('forget', 3, '3.0.0', 'O(1)', 'Remove a node from the nodes table', [...ADMIN]),
    s(
      'getkeysinslot',
      4,
      '3.0.0',
      'O(log(N)) where N is the number of requested keys',
      'Return local key names in the specified hash slot',
    ),
    s('help', 2, '5.0.0', 'O(1)', 'Show helpful text about the different subcommands', ['loading', 'stale']),
    s('info', 2, '3.0.0', 'O(1)', 'Provides info about Redis Cluster node state'),
    s(
      'keyslot',
      3,
      '3.0.0',
      'O(N) where N is the number of bytes in the key',
      'Returns the hash slot of the specified key',
    ),
    s('links', 2, '7.0.0', nodes, 'Returns a list of all TCP links to and from peer nodes in cluster'),
    s('meet', -4, '3.0.0', 'O(1)', 'Force a node cluster to handshake with another node', [...ADMIN]),
    s('myid', 2, '3.0.0', 'O(1)', 'Return the node id'),
    s('nodes', 2, '3.0.0', nodes, 'Get Cluster config for the node'),
    s('replicas', 3, '5.0.0', 'O(1)', 'List replica nodes of the specified master node', ['admin', 'stale']),
    s('replicate', 3, '3.0.0', 'O(1)', 'Reconfigure a node as a replica of the specified master node', [...ADMIN]),
    s(
      'reset',
      -2,
      '3.0.0',
      'O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.',
      'Reset a Redis Cluster node',
      ['admin', 'stale', 'noscript'],
    ),
    s('saveconfig', 2, '3.0.0', 'O(1)', 'Forces the node to save cluster state on disk', [...ADMIN]),
    s('set-config-epoch', 3, '3.0.0', 'O(1)', 'Set the configuration epoch in a new node', [...ADMIN]),
    s('setslot', -4, '3.0.0', 'O(1)', 'Bind a hash slot to a specific node', [...ADMIN]),
    s('shards', 2, '7.0.0', nodes, 'Get array of cluster slots to node mappings'),
    s('slaves', 3, '3.0.0', 'O(1)', 'List replica nodes of the specified master node', ['admin', 'stale']),
    s('slots', 2, '3.0.0', nodes, 'Get array of Cluster slot to node mappings'),
  ]),
  command({
    name: 'asking',
    arity: 1,
    flags: ['fast'],
    group: 'cluster',
    since: '3.0.0',
    complexity: 'O(1)',
    summary: 'Sent by cluster clients after an -ASK redirect',
    handler: connectionFlag('asking'),
  }),
  command({
    name: 'readonly',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    group: 'cluster',
    since: '3.0.0',
    complexity: 'O(1)',
    summary: 'Enables read queries for a connection to a cluster replica node',
    handler: connectionFlag('readonly'),
  }),
  command({
    name: 'readwrite',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    group: 'cluster',
    since: '3.0.0',
    complexity: 'O(1)',
    summary: 'Disables read queries for a connection to a cluster replica node',
    handler: connectionFlag('readwrite'),
  }),
];
