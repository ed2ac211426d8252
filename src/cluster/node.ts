/**
 * A cluster node as this node knows it (cluster.h `clusterNode`), its flags,
 * and its line in CLUSTER NODES and the nodes file (cluster.c
 * `clusterGenNodeDescription`, whose format `redis-cli --cluster` parses).
 */
import { randomBytes } from 'node:crypto';
import { CLUSTER_SLOTS } from './crc16.js';

/** Node flags (cluster.h `CLUSTER_NODE_*`). */
export const NodeFlag = {
  Master: 1,
  Slave: 2,
  PFail: 4,
  Fail: 8,
  Myself: 16,
  Handshake: 32,
  NoAddr: 64,
  Meet: 128,
  MigrateTo: 256,
  NoFailover: 512,
} as const;

/** Flag names in CLUSTER NODES order (cluster.c `redisNodeFlagsTable`). */
const FLAG_NAMES: readonly [number, string][] = [
  [NodeFlag.Myself, 'myself'],
  [NodeFlag.Master, 'master'],
  [NodeFlag.Slave, 'slave'],
  [NodeFlag.PFail, 'fail?'],
  [NodeFlag.Fail, 'fail'],
  [NodeFlag.Handshake, 'handshake'],
  [NodeFlag.NoAddr, 'noaddr'],
  [NodeFlag.NoFailover, 'nofailover'],
];

/** A bus connection as CLUSTER LINKS shows it. */
export interface LinkInfo {
  readonly createdAt: number;
  readonly events: string;
  readonly sendBufferUsed: number;
  close(): void;
}

/** One node of the cluster, myself included. */
export interface ClusterNode {
  /** 40 hex characters; random, and kept in the nodes file. */
  id: string;
  ip: string;
  /** Client port and bus port. */
  port: number;
  cport: number;
  flags: number;
  configEpoch: number;
  /** Its primary, for a replica. */
  slaveof: ClusterNode | null;
  /** Owned slots, one bit each (the slot map `slots` of the state is authoritative for ownership). */
  slots: Uint8Array;
  numSlots: number;
  /** Unix ms of the PING waiting for its PONG (0: none), of the last PONG. */
  pingSent: number;
  pongReceived: number;
  /** Unix ms it was flagged FAIL; of the last vote given for its replicas (as a primary's failover). */
  failTime: number;
  votedTime: number;
  /** Replication offset it last told. */
  replOffset: number;
  /** Primaries that reported it failing: reporter id → Unix ms of the report. */
  failReports: Map<string, number>;
  /** The connection this node opened to it, and the one it opened to this node. */
  link: LinkInfo | null;
  inbound: LinkInfo | null;
  /** Unix ms the node entry was made (handshakes time out). */
  ctime: number;
}

/** A new random node id (cluster.c `getRandomHexChars`). */
export function newNodeId(): string {
  return randomBytes(20).toString('hex');
}

/** A node entry with nothing known but its address. */
export function makeNode(id: string, ip: string, port: number, cport: number, flags: number): ClusterNode {
  return {
    id,
    ip,
    port,
    cport,
    flags,
    configEpoch: 0,
    slaveof: null,
    slots: new Uint8Array(CLUSTER_SLOTS / 8),
    numSlots: 0,
    pingSent: 0,
    pongReceived: 0,
    failTime: 0,
    votedTime: 0,
    replOffset: 0,
    failReports: new Map(),
    link: null,
    inbound: null,
    ctime: Date.now(),
  };
}

/** Whether bit `slot` of `bits` is set. */
export function slotBit(bits: Uint8Array, slot: number): boolean {
  return (bits[slot >> 3]! & (1 << (slot & 7))) !== 0;
}

/** Sets or clears bit `slot` of `bits`. */
export function setSlotBit(bits: Uint8Array, slot: number, on: boolean): void {
  if (on) bits[slot >> 3]! |= 1 << (slot & 7);
  else bits[slot >> 3]! &= ~(1 << (slot & 7));
}

/** Whether `n` is a primary (cluster.h `nodeIsMaster`). */
export const isMaster = (n: ClusterNode): boolean => (n.flags & NodeFlag.Master) !== 0;
/** Whether `n` is a replica (`nodeIsSlave`). */
export const isSlave = (n: ClusterNode): boolean => (n.flags & NodeFlag.Slave) !== 0;
/** Whether `n` is flagged FAIL (`nodeFailed`). */
export const isFailed = (n: ClusterNode): boolean => (n.flags & NodeFlag.Fail) !== 0;
/** Whether `n` is flagged PFAIL by this node (`nodeTimedOut`). */
export const isTimedOut = (n: ClusterNode): boolean => (n.flags & NodeFlag.PFail) !== 0;

/** The comma-separated flags of CLUSTER NODES (cluster.c `representClusterNodeFlags`). */
export function flagsText(flags: number): string {
  const out = FLAG_NAMES.filter(([f]) => (flags & f) !== 0).map(([, n]) => n);
  return out.length === 0 ? 'noflags' : out.join(',');
}

/** Parses flags written by {@link flagsText} (cluster.c `clusterLoadConfig`). */
export function parseFlags(text: string): number {
  let flags = 0;
  for (const w of text.split(',')) {
    const f = FLAG_NAMES.find(([, n]) => n === w);
    if (f !== undefined) flags |= f[0];
  }
  return flags;
}

/** Slot ranges of a bitmap: `[start, end]` pairs, ascending. */
export function slotRanges(bits: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let j = 0; j <= CLUSTER_SLOTS; j++) {
    const on = j < CLUSTER_SLOTS && slotBit(bits, j);
    if (on && start === -1) start = j;
    else if (!on && start !== -1) {
      out.push([start, j - 1]);
      start = -1;
    }
  }
  return out;
}

/** The slots being moved, as myself's line shows them: `[slot->-id]`, `[slot-<-id]`. */
export interface OpenSlots {
  migrating: readonly (ClusterNode | null)[];
  importing: readonly (ClusterNode | null)[];
}

/**
 * A node's CLUSTER NODES line, without the newline (cluster.c
 * `clusterGenNodeDescription`): `id ip:port@cport flags master|- ping-sent
 * pong-recv config-epoch link-state slot...`; a replica shows its primary's
 * config epoch; myself also shows its open slots.
 */
export function describeNode(n: ClusterNode, open: OpenSlots | null): string {
  let s = `${n.id} ${n.ip}:${n.port}@${n.cport} ${flagsText(n.flags)} ${n.slaveof?.id ?? '-'}`;
  const epoch = isSlave(n) && n.slaveof !== null ? n.slaveof.configEpoch : n.configEpoch;
  const connected = n.link !== null || (n.flags & NodeFlag.Myself) !== 0;
  s += ` ${n.pingSent} ${n.pongReceived} ${epoch} ${connected ? 'connected' : 'disconnected'}`;
  if (n.numSlots > 0) for (const [a, b] of slotRanges(n.slots)) s += a === b ? ` ${a}` : ` ${a}-${b}`;
  if (open !== null) {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      const to = open.migrating[j];
      const from = open.importing[j];
      if (to) s += ` [${j}->-${to.id}]`;
      else if (from) s += ` [${j}-<-${from.id}]`;
    }
  }
  return s;
}
