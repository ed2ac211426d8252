/**
 * What this node knows of the cluster (cluster.h `clusterState`): the nodes,
 * which primary owns each hash slot, the slots being migrated or imported,
 * the epochs, and the state (`ok` or `fail`); with Redis Cluster's rules for
 * changing them (cluster.c): slot assignment, the higher config epoch wins a
 * slot (`clusterUpdateSlotsConfigWith`), config epoch collisions
 * (`clusterHandleConfigEpochCollision`), failure reports and the FAIL flag
 * (`markNodeAsFailingIfNeeded`, `clearNodeFailureIfNeeded`), becoming a
 * replica (`clusterSetMaster`) and the nodes file (./nodesfile.ts). The bus
 * (./bus.ts, ./gossip.ts) and the commands (./service.ts) call these.
 */
import type { Config } from '../config/config.js';
import { CLUSTER_SLOTS } from './crc16.js';
import {
  type ClusterNode,
  isFailed,
  isMaster,
  isSlave,
  isTimedOut,
  makeNode,
  newNodeId,
  NodeFlag,
  setSlotBit,
} from './node.js';
import { loadNodesFile, saveNodesFile } from './nodesfile.js';

/** Failure reports older than node-timeout times this are forgotten (cluster.h `CLUSTER_FAIL_REPORT_VALIDITY_MULT`). */
const FAIL_REPORT_VALIDITY_MULT = 2;
/** A FAIL primary with slots that answers again is cleared after node-timeout times this (`FAIL_UNDO_TIME_MULT`). */
const FAIL_UNDO_TIME_MULT = 2;
/** How long a FORGET keeps a node from being re-added by gossip, ms (`CLUSTER_BLACKLIST_TTL`). */
export const BLACKLIST_TTL = 60_000;

/** What the cluster needs from the rest of the server. */
export interface ClusterHost {
  readonly config: Config;
  readonly log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** The nodes file, absolute. */
  readonly nodesFile: string;
  /** Client port and bus port listened on. */
  readonly port: number;
  readonly busPort: number;
  /** Keys in database 0. */
  keyCount(): number;
  /** Keys of database 0 in `slot`. */
  countKeysInSlot(slot: number): number;
  /**
   * Unsubscribes every client from the shard channels of `slot`, each told
   * with `sunsubscribe` (cluster.c `removeChannelsInSlot`).
   */
  removeShardChannelsInSlot(slot: number): void;
  /** Deletes (and logs the deletes of) every key of `slot` (cluster.c `delKeysInSlot`). */
  deleteKeysInSlot(slot: number): void;
  /** Deletes every key of database 0, logged (CLUSTER RESET of a replica: Redis's `emptyData`). */
  deleteAllKeys(): void;
  /** Replicates from `host:port`, or stops replicating (null): the path REPLICAOF takes. */
  replicaOf(host: string | null, port: number): void;
  /** This node's replication offset (primary: its WAL's last LSN; replica: what it applied). */
  replOffset(): number;
  /** Holds the commands that may write until Unix ms `until` (CLIENT PAUSE WRITE), for a manual failover. */
  pauseWrites(until: number): void;
  /** Ends that pause. */
  unpauseWrites(): void;
  /** Clients blocked on keys: CLIENT ID and keys. */
  blockedClients(): Iterable<readonly [number, readonly Buffer[]]>;
  /** Ends a blocked client's wait with an error reply. */
  unblockWithError(id: number, error: string): void;
  /** Delivers a PUBLISH another node received to this node's subscribers. */
  publishLocal(channel: Buffer, message: Buffer): void;
}

/** The cluster as this node knows it. */
export class ClusterState {
  readonly nodes = new Map<string, ClusterNode>();
  readonly myself: ClusterNode;
  /** Owner of each slot, null when unassigned. */
  readonly slots: (ClusterNode | null)[] = new Array(CLUSTER_SLOTS).fill(null);
  readonly migrating: (ClusterNode | null)[] = new Array(CLUSTER_SLOTS).fill(null);
  readonly importing: (ClusterNode | null)[] = new Array(CLUSTER_SLOTS).fill(null);
  currentEpoch = 0;
  lastVoteEpoch = 0;
  state: 'ok' | 'fail' = 'fail';
  /** Primaries that own slots. */
  size = 0;
  /** Forgotten nodes: id → Unix ms until which gossip may not re-add them. */
  readonly blacklist = new Map<string, number>();
  /** Set when something the nodes file holds changed; {@link saveIfNeeded} writes it. */
  dirty = false;
  /** Whether the nodes file existed at start. */
  readonly loaded: boolean;

  /**
   * Loads the nodes file, or makes a new node (new id, primary, no slots) when there is none.
   *
   * @throws Error for a nodes file that cannot be read or parsed
   */
  constructor(readonly host: ClusterHost) {
    const file = loadNodesFile(host.nodesFile);
    if (file === null) {
      this.myself = makeNode(newNodeId(), '', host.port, host.busPort, NodeFlag.Myself | NodeFlag.Master);
      this.nodes.set(this.myself.id, this.myself);
      this.loaded = false;
    } else {
      let myself: ClusterNode | null = null;
      for (const l of file.nodes) {
        const n = this.nodeFor(l.id);
        Object.assign(n, { ip: l.ip, port: l.port, cport: l.cport, flags: l.flags, configEpoch: l.configEpoch });
        n.flags &= ~(NodeFlag.PFail | NodeFlag.Handshake | NodeFlag.Meet);
        if (l.master !== null) n.slaveof = this.nodeFor(l.master);
        for (const [a, b] of l.slots) for (let j = a; j <= b; j++) this.addSlot(n, j);
        for (const [slot, id] of l.migrating) this.migrating[slot] = this.nodeFor(id);
        for (const [slot, id] of l.importing) this.importing[slot] = this.nodeFor(id);
        if ((n.flags & NodeFlag.Myself) !== 0) myself = n;
      }
      if (myself === null) throw new Error(`${host.nodesFile}: no node flagged myself`);
      this.myself = myself;
      myself.port = host.port;
      myself.cport = host.busPort;
      this.currentEpoch = file.currentEpoch;
      this.lastVoteEpoch = file.lastVoteEpoch;
      this.loaded = true;
    }
    const ip = host.config.get('cluster-announce-ip');
    if (ip !== '') this.myself.ip = ip;
    this.updateState();
  }

  /** The node with `id`, made (with no address yet) when unknown. */
  private nodeFor(id: string): ClusterNode {
    let n = this.nodes.get(id);
    if (n === undefined) {
      n = makeNode(id, '', 0, 0, 0);
      this.nodes.set(id, n);
    }
    return n;
  }

  /** Announced client port of myself (`cluster-announce-port`, else the port listened on). */
  get announcedPort(): number {
    return this.host.config.get('cluster-announce-port') || this.host.port;
  }

  get announcedBusPort(): number {
    return this.host.config.get('cluster-announce-bus-port') || this.host.busPort;
  }

  get nodeTimeout(): number {
    return this.host.config.get('cluster-node-timeout');
  }

  /**
   * Writes the nodes file now (cluster.c `clusterSaveConfigOrDie`), before
   * any reply that depends on it leaves.
   *
   * @param durable fsync it too (Redis's `CLUSTER_TODO_FSYNC_CONFIG`)
   */
  save(durable = false): void {
    this.myself.port = this.announcedPort;
    this.myself.cport = this.announcedBusPort;
    saveNodesFile(this.host.nodesFile, this, durable);
    this.dirty = false;
  }

  /** Writes the nodes file when something changed since the last write. */
  saveIfNeeded(): void {
    if (this.dirty) this.save();
  }

  // ------------------------------------------------------------------ slots

  /** Assigns `slot` to `n` (cluster.c `clusterAddSlot`); false when it has an owner. */
  addSlot(n: ClusterNode, slot: number): boolean {
    if (this.slots[slot] !== null) return false;
    this.slots[slot] = n;
    setSlotBit(n.slots, slot, true);
    n.numSlots++;
    if (n === this.myself) this.dirty = true;
    return true;
  }

  /**
   * Unassigns `slot` (cluster.c `clusterDelSlot`); false when it had no
   * owner. When this node served it (as its owner or the owner's replica),
   * the slot's shard channels are unsubscribed.
   */
  delSlot(slot: number): boolean {
    const n = this.slots[slot]!;
    if (n === null) return false;
    if (n === this.myself || this.myself.slaveof === n) this.host.removeShardChannelsInSlot(slot);
    setSlotBit(n.slots, slot, false);
    n.numSlots--;
    this.slots[slot] = null;
    this.dirty = true;
    return true;
  }

  /** Unassigns every slot of `n` (cluster.c `clusterDelNodeSlots`). */
  delNodeSlots(n: ClusterNode): void {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (this.slots[j] === n) this.delSlot(j);
      if (this.importing[j] === n) this.importing[j] = null;
      if (this.migrating[j] === n) this.migrating[j] = null;
    }
  }

  /** The replicas of primary `n`. */
  replicasOf(n: ClusterNode): ClusterNode[] {
    const out: ClusterNode[] = [];
    for (const r of this.nodes.values()) if (r.slaveof === n && isSlave(r)) out.push(r);
    return out;
  }

  /**
   * Recomputes `ok`/`fail` and the cluster size (cluster.c
   * `clusterUpdateState`): fail while a slot has no live owner (with
   * `cluster-require-full-coverage`) or this node cannot reach a majority
   * of the primaries that own slots.
   */
  updateState(): void {
    let ok = true;
    if (this.host.config.get('cluster-require-full-coverage')) {
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        const n = this.slots[j]!;
        if (n === null || isFailed(n)) {
          ok = false;
          break;
        }
      }
    }
    let size = 0;
    let reachable = 0;
    for (const n of this.nodes.values()) {
      if (isMaster(n) && n.numSlots > 0) {
        size++;
        if ((n.flags & (NodeFlag.Fail | NodeFlag.PFail)) === 0) reachable++;
      }
    }
    this.size = size;
    if (reachable < Math.floor(size / 2) + 1) ok = false;
    const next = ok ? 'ok' : 'fail';
    if (next !== this.state) this.host.log.info({ state: next }, 'cluster state changed');
    this.state = next;
  }

  /** Votes needed to fail over or to flag FAIL: a majority of the primaries with slots. */
  get neededQuorum(): number {
    return Math.floor(this.size / 2) + 1;
  }

  /** The highest config epoch known (cluster.c `clusterGetMaxEpoch`), at least the current epoch. */
  maxEpoch(): number {
    let max = 0;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return Math.max(max, this.currentEpoch);
  }

  /**
   * Gives myself a new config epoch without asking the others, unless it
   * already has the highest one (cluster.c
   * `clusterBumpConfigEpochWithoutConsensus`).
   *
   * @returns whether the epoch changed
   */
  bumpEpochWithoutConsensus(): boolean {
    const max = this.maxEpoch();
    const me = this.myself;
    if (me.configEpoch === 0 || me.configEpoch !== max) {
      this.currentEpoch++;
      me.configEpoch = this.currentEpoch;
      this.dirty = true;
      this.host.log.warn({ epoch: me.configEpoch }, 'new configEpoch set');
      return true;
    }
    return false;
  }

  /**
   * Two primaries with the same config epoch: the one with the smaller node
   * id takes a new epoch (cluster.c `clusterHandleConfigEpochCollision`).
   */
  handleConfigEpochCollision(sender: ClusterNode): void {
    const me = this.myself;
    if (sender.configEpoch !== me.configEpoch || !isMaster(sender) || !isMaster(me)) return;
    if (sender.id <= me.id) return;
    this.currentEpoch++;
    me.configEpoch = this.currentEpoch;
    this.save();
    this.host.log.warn({ epoch: me.configEpoch }, 'configEpoch collision with another node: new configEpoch');
  }

  // ------------------------------------------------------------------ roles

  /** Makes `n` a primary (cluster.c `clusterSetNodeAsMaster`). */
  setNodeAsMaster(n: ClusterNode): void {
    if (isMaster(n)) return;
    n.flags = (n.flags & ~NodeFlag.Slave) | NodeFlag.Master;
    n.slaveof = null;
    this.dirty = true;
  }

  /**
   * Makes myself a replica of `n` (cluster.c `clusterSetMaster`): a primary
   * drops its slots and open slots first; replication then follows `n`.
   */
  setMaster(n: ClusterNode): void {
    const me = this.myself;
    if (isMaster(me)) {
      me.flags = (me.flags & ~NodeFlag.Master) | NodeFlag.Slave;
      this.delNodeSlots(me);
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        this.migrating[j] = null;
        this.importing[j] = null;
      }
    }
    me.slaveof = n;
    this.save(true);
    this.host.replicaOf(n.ip, n.port);
  }

  /**
   * Applies a node's claim of `claimed` slots at `epoch` (cluster.c
   * `clusterUpdateSlotsConfigWith`): a slot goes to it when unassigned or
   * owned with a lower config epoch, unless this node is importing it. A
   * primary that loses all its slots to it becomes its replica; keys of a
   * slot lost otherwise are deleted.
   */
  updateSlotsConfigWith(sender: ClusterNode, epoch: number, claimed: Uint8Array): void {
    const me = this.myself;
    if (sender === me) return;
    const curMaster = isMaster(me) ? me : me.slaveof;
    let newMaster: ClusterNode | null = null;
    const dirtySlots: number[] = [];
    let senderSlots = 0;
    let migratedOurs = 0;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if ((claimed[j >> 3]! & (1 << (j & 7))) === 0) continue;
      senderSlots++;
      const owner = this.slots[j]!;
      if (owner === sender || this.importing[j] !== null) continue;
      if (owner === null || owner.configEpoch < epoch) {
        if (owner === me && sender !== me && this.host.countKeysInSlot(j) > 0) dirtySlots.push(j);
        if (owner === curMaster && owner !== null) {
          newMaster = sender;
          migratedOurs++;
        }
        this.delSlot(j);
        this.addSlot(sender, j);
        this.dirty = true;
      }
    }
    const allowMigration = this.host.config.get('cluster-allow-replica-migration');
    if (
      newMaster !== null &&
      curMaster !== null &&
      curMaster.numSlots === 0 &&
      (allowMigration || senderSlots === migratedOurs)
    ) {
      this.host.log.warn({ master: sender.id }, 'configuration change detected: reconfiguring myself as a replica');
      this.setMaster(sender);
    } else if (me.slaveof?.slaveof != null) {
      this.setMaster(me.slaveof.slaveof);
    } else {
      for (const j of dirtySlots) this.host.deleteKeysInSlot(j);
    }
    this.updateState();
  }

  // ------------------------------------------------------------------ failure detection

  /** Records that primary `reporter` sees `n` failing (cluster.c `clusterNodeAddFailureReport`). */
  addFailureReport(n: ClusterNode, reporter: ClusterNode): void {
    n.failReports.set(reporter.id, Date.now());
  }

  /** Forgets `reporter`'s report on `n`. */
  delFailureReport(n: ClusterNode, reporter: ClusterNode): void {
    n.failReports.delete(reporter.id);
  }

  /** Valid failure reports on `n` (cluster.c `clusterNodeFailureReportsCount`), expired ones dropped. */
  failureReportCount(n: ClusterNode): number {
    const maxAge = this.nodeTimeout * FAIL_REPORT_VALIDITY_MULT;
    const now = Date.now();
    for (const [id, t] of n.failReports) if (now - t > maxAge || !this.nodes.has(id)) n.failReports.delete(id);
    return n.failReports.size;
  }

  /**
   * Flags `n` FAIL when this node sees it PFAIL and, with this node's own
   * opinion when it is a primary, a majority of primaries report it
   * (cluster.c `markNodeAsFailingIfNeeded`).
   *
   * @returns whether `n` became FAIL (the caller broadcasts it)
   */
  markFailingIfNeeded(n: ClusterNode): boolean {
    if (!isTimedOut(n) || isFailed(n)) return false;
    let failures = this.failureReportCount(n);
    if (isMaster(this.myself)) failures++;
    if (failures < this.neededQuorum) return false;
    this.host.log.warn({ node: n.id }, 'marking node as failing (quorum reached)');
    n.flags = (n.flags & ~NodeFlag.PFail) | NodeFlag.Fail;
    n.failTime = Date.now();
    this.dirty = true;
    this.updateState();
    return true;
  }

  /**
   * Clears FAIL from a node that answers again (cluster.c
   * `clearNodeFailureIfNeeded`): at once for a replica or a primary without
   * slots, after node-timeout times two for a primary with slots.
   */
  clearFailureIfNeeded(n: ClusterNode): void {
    if (!isFailed(n)) return;
    const undo = isSlave(n) || n.numSlots === 0 || Date.now() - n.failTime > this.nodeTimeout * FAIL_UNDO_TIME_MULT;
    if (!undo) return;
    this.host.log.info({ node: n.id }, 'clear FAIL state for node');
    n.flags &= ~NodeFlag.Fail;
    this.dirty = true;
    this.updateState();
  }

  // ------------------------------------------------------------------ membership

  /** Removes `n` from the table and from every slot and report (cluster.c `clusterDelNode`). */
  delNode(n: ClusterNode): void {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (this.importing[j] === n) this.importing[j] = null;
      if (this.migrating[j] === n) this.migrating[j] = null;
      if (this.slots[j] === n) this.delSlot(j);
    }
    for (const other of this.nodes.values()) {
      other.failReports.delete(n.id);
      if (other.slaveof === n) other.slaveof = null;
    }
    n.link?.close();
    n.inbound?.close();
    n.link = null;
    n.inbound = null;
    this.nodes.delete(n.id);
    this.dirty = true;
  }

  /** Keeps `id` out of the table for a minute (cluster.c `clusterBlacklistAddNode`). */
  blacklistAdd(id: string): void {
    this.blacklist.set(id, Date.now() + BLACKLIST_TTL);
  }

  /** Whether gossip may not re-add `id` now. */
  blacklisted(id: string): boolean {
    const until = this.blacklist.get(id);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.blacklist.delete(id);
      return false;
    }
    return true;
  }

  /**
   * CLUSTER RESET (cluster.c `clusterReset`): a replica becomes an empty
   * primary; every slot and every other node is forgotten; HARD also
   * zeroes the epochs and takes a new node id.
   */
  reset(hard: boolean): void {
    const me = this.myself;
    if (isSlave(me)) {
      this.setNodeAsMaster(me);
      this.host.replicaOf(null, 0);
      this.host.deleteAllKeys();
    }
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      this.migrating[j] = null;
      this.importing[j] = null;
    }
    this.delNodeSlots(me);
    for (const n of [...this.nodes.values()]) if (n !== me) this.delNode(n);
    if (hard) {
      this.currentEpoch = 0;
      this.lastVoteEpoch = 0;
      me.configEpoch = 0;
      this.nodes.delete(me.id);
      me.id = newNodeId();
      this.nodes.set(me.id, me);
    }
    this.save();
    this.updateState();
  }
}
