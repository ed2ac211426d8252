/**
 * The replies of CLUSTER NODES, SLOTS, SHARDS, INFO and LINKS, in Redis
 * 7.0's shapes (cluster.c `clusterGenNodesDescription`,
 * `clusterReplyMultiBulkSlots`, `clusterReplyShards`, the INFO subcommand,
 * `addReplyClusterLinksDescription`).
 */
import type { ReplyBuffer } from '../protocol/encoder.js';
import { CLUSTER_SLOTS } from './crc16.js';
import {
  type ClusterNode,
  describeNode,
  isFailed,
  isMaster,
  isSlave,
  isTimedOut,
  NodeFlag,
  slotRanges,
} from './node.js';
import type { Gossip } from './gossip.js';
import type { ClusterState } from './state.js';

/** CLUSTER NODES: one line per node, handshakes included, each ending in a newline. */
export function nodesText(s: ClusterState): string {
  let out = '';
  for (const n of s.nodes.values()) out += `${describeNode(n, n === s.myself ? s : null)}\n`;
  return out;
}

/** A replica CLUSTER SLOTS lists: not failed, and it has replicated something (cluster.c `isReplicaAvailable`). */
function replicaAvailable(s: ClusterState, n: ClusterNode): boolean {
  if (isFailed(n)) return false;
  return (n === s.myself ? s.host.replOffset() : n.replOffset) !== 0;
}

/** `[ip, port, id, {}]` (cluster.c `addNodeToNodeReply`, endpoint type `ip`). */
function nodeEntry(r: ReplyBuffer, n: ClusterNode): void {
  r.arrayLen(4);
  r.bulkString(n.ip);
  r.int(n.port);
  r.bulkString(n.id);
  r.mapLen(0);
}

/** CLUSTER SLOTS: `[start, end, primary, replicas...]` per run of slots with one owner. */
export function replySlots(r: ReplyBuffer, s: ClusterState): void {
  const runs: [number, number, ClusterNode][] = [];
  let start = 0;
  for (let j = 1; j <= CLUSTER_SLOTS; j++) {
    if (j < CLUSTER_SLOTS && s.slots[j] === s.slots[start]) continue;
    const n = s.slots[start];
    if (n != null) runs.push([start, j - 1, n]);
    start = j;
  }
  r.arrayLen(runs.length);
  for (const [a, b, n] of runs) {
    const replicas = s.replicasOf(n).filter((x) => replicaAvailable(s, x));
    r.arrayLen(3 + replicas.length);
    r.int(a);
    r.int(b);
    nodeEntry(r, n);
    for (const x of replicas) nodeEntry(r, x);
  }
}

/** One node of a shard (cluster.c `addNodeDetailsToShardReply`). */
function shardNode(r: ReplyBuffer, s: ClusterState, n: ClusterNode): void {
  const offset = n === s.myself ? s.host.replOffset() : n.replOffset;
  const health = isFailed(n) ? 'fail' : isSlave(n) && offset === 0 ? 'loading' : 'online';
  r.mapLen(7);
  r.bulkString('id');
  r.bulkString(n.id);
  r.bulkString('port');
  r.int(n.port);
  r.bulkString('ip');
  r.bulkString(n.ip);
  r.bulkString('endpoint');
  r.bulkString(n.ip);
  r.bulkString('role');
  r.bulkString(isSlave(n) ? 'replica' : 'master');
  r.bulkString('replication-offset');
  r.int(offset);
  r.bulkString('health');
  r.bulkString(health);
}

/** CLUSTER SHARDS: per primary, its slot ranges (flat) and its nodes, primary first. */
export function replyShards(r: ReplyBuffer, s: ClusterState): void {
  const masters = [...s.nodes.values()].filter(isMaster);
  r.arrayLen(masters.length);
  for (const m of masters) {
    r.mapLen(2);
    r.bulkString('slots');
    const ranges = m.numSlots > 0 ? slotRanges(m.slots) : [];
    r.arrayLen(ranges.length * 2);
    for (const [a, b] of ranges) {
      r.int(a);
      r.int(b);
    }
    r.bulkString('nodes');
    const members = [m, ...s.replicasOf(m)];
    r.arrayLen(members.length);
    for (const n of members) shardNode(r, s, n);
  }
}

/** Redis's names of message types in CLUSTER INFO (cluster.c `clusterGetMessageTypeString`). */
const TYPE_NAMES: Record<string, string> = {
  ping: 'ping',
  pong: 'pong',
  meet: 'meet',
  fail: 'fail',
  update: 'update',
  'auth-req': 'auth-req',
  'auth-ack': 'auth-ack',
  publish: 'publish',
  mfstart: 'mfstart',
};

/** CLUSTER INFO's text. */
export function infoText(s: ClusterState, g: Gossip): string {
  let assigned = 0;
  let ok = 0;
  let pfail = 0;
  let fail = 0;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    const n = s.slots[j];
    if (n == null) continue;
    assigned++;
    if (isFailed(n)) fail++;
    else if (isTimedOut(n)) pfail++;
    else ok++;
  }
  const me = s.myself;
  const myEpoch = isSlave(me) && me.slaveof !== null ? me.slaveof.configEpoch : me.configEpoch;
  let t =
    `cluster_state:${s.state}\r\ncluster_slots_assigned:${assigned}\r\ncluster_slots_ok:${ok}\r\n` +
    `cluster_slots_pfail:${pfail}\r\ncluster_slots_fail:${fail}\r\ncluster_known_nodes:${s.nodes.size}\r\n` +
    `cluster_size:${s.size}\r\ncluster_current_epoch:${s.currentEpoch}\r\ncluster_my_epoch:${myEpoch}\r\n`;
  const counts = (m: Map<string, number>, dir: string): void => {
    let total = 0;
    for (const [type, name] of Object.entries(TYPE_NAMES)) {
      const v = m.get(type) ?? 0;
      if (v === 0) continue;
      total += v;
      t += `cluster_stats_messages_${name}_${dir}:${v}\r\n`;
    }
    t += `cluster_stats_messages_${dir}:${total}\r\n`;
  };
  counts(g.sent, 'sent');
  counts(g.received, 'received');
  t += 'total_cluster_links_buffer_limit_exceeded:0\r\n';
  return t;
}

/** CLUSTER LINKS: every bus link, outbound (`to`) and inbound (`from`). */
export function replyLinks(r: ReplyBuffer, s: ClusterState): void {
  const links: [string, ClusterNode][] = [];
  for (const n of s.nodes.values()) {
    if (n === s.myself || (n.flags & NodeFlag.Handshake) !== 0) continue;
    if (n.link !== null) links.push(['to', n]);
    if (n.inbound !== null) links.push(['from', n]);
  }
  r.arrayLen(links.length);
  for (const [dir, n] of links) {
    const l = dir === 'to' ? n.link! : n.inbound!;
    r.mapLen(6);
    r.bulkString('direction');
    r.bulkString(dir);
    r.bulkString('node');
    r.bulkString(n.id);
    r.bulkString('create-time');
    r.int(l.createdAt);
    r.bulkString('events');
    r.bulkString(l.events);
    r.bulkString('send-buffer-allocated');
    r.int(l.sendBufferUsed);
    r.bulkString('send-buffer-used');
    r.int(l.sendBufferUsed);
  }
}
