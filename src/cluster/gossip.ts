/**
 * What nodes tell each other over the bus, and what they do about it, with
 * Redis Cluster's rules (cluster.c `clusterProcessPacket`, `clusterCron`,
 * `clusterHandleSlaveFailover`, `clusterSendFailoverAuthIfNeeded`): MEET,
 * PING and PONG carry the sender's view of itself (flags, epochs, its
 * primary's slots, replication offset) and a gossip section on the other
 * nodes; FAIL spreads a failure a majority of primaries agreed on; UPDATE
 * corrects a node that claims slots with a stale config epoch; AUTH-REQUEST
 * and AUTH-ACK are a replica's failover election. The messages are
 * FlashCache's own (docs/CLUSTER.md, "The bus"), not Redis's binary format.
 */
import { isIP } from 'node:net';
import { CLUSTER_SLOTS } from './crc16.js';
import { connectLink, type Link } from './bus.js';
import { type ClusterNode, isFailed, isMaster, isSlave, makeNode, newNodeId, NodeFlag } from './node.js';
import type { ClusterState } from './state.js';

/** A gossip entry: what the sender knows of another node. */
interface GossipEntry {
  id: string;
  ip: string;
  port: number;
  cport: number;
  flags: number;
}

/** One bus message. */
export interface BusMessage {
  type: 'meet' | 'ping' | 'pong' | 'fail' | 'update' | 'auth-req' | 'auth-ack' | 'publish' | 'mfstart';
  sender: string;
  /** Announced IP ('' when the receiver should use the address it sees). */
  ip: string;
  port: number;
  cport: number;
  /** The sender's flags, without myself. */
  flags: number;
  currentEpoch: number;
  /** The config epoch and slots of the sender's primary (its own, for a primary). */
  configEpoch: number;
  slots: Uint8Array;
  slaveof: string | null;
  offset: number;
  gossip?: GossipEntry[];
  /** FAIL: the node that failed. UPDATE: the node whose slots follow, at `updEpoch`. */
  node?: string;
  updEpoch?: number;
  updSlots?: Uint8Array;
  /** AUTH-REQUEST: a manual failover (primaries vote though the primary is not FAIL). */
  force?: boolean;
  /** A primary that paused its writers for a manual failover (Redis's `CLUSTERMSG_FLAG0_PAUSED`). */
  paused?: boolean;
  /** PUBLISH: the channel and the message, for this node's subscribers. */
  channel?: Uint8Array;
  message?: Uint8Array;
}

/** State of this replica's failover election (cluster.h `clusterState` failover_auth_*). */
interface Election {
  time: number;
  count: number;
  sent: boolean;
  rank: number;
  epoch: number;
  /** Manual failover (CLUSTER FAILOVER, FORCE): deadline, 0 when none. */
  manualEnd: number;
  /** The primary's offset once it paused its writers for a manual failover, -1 before (`mf_master_offset`). */
  primaryOffset: number;
  /** Whether the election may start: FORCE, or this replica reached {@link primaryOffset} (`mf_can_start`). */
  canStart: boolean;
}

/** How long a manual failover may take, ms (cluster.h `CLUSTER_MF_TIMEOUT`). */
export const MF_TIMEOUT = 5000;

/** The bus side of the cluster: links to every node, message handling, the cron, failover. */
export class Gossip {
  readonly election: Election = {
    time: 0,
    count: 0,
    sent: false,
    rank: 0,
    epoch: 0,
    manualEnd: 0,
    primaryOffset: -1,
    canStart: false,
  };
  /** On a primary: the replica it paused its writers for, and until when (cluster.h `mf_slave`, `mf_end`). */
  private mfReplica: ClusterNode | null = null;
  private mfEnd = 0;
  /** Messages sent and received by type (CLUSTER INFO `cluster_stats_messages_*`). */
  readonly sent = new Map<string, number>();
  readonly received = new Map<string, number>();
  /** Inbound links not yet tied to a node. */
  private readonly inbound = new Set<Link>();

  constructor(private readonly s: ClusterState) {}

  // ------------------------------------------------------------------ links

  /** Takes an accepted connection. */
  accept(link: Link): void {
    this.inbound.add(link);
    link.onMessage = (m, l) => this.process(m as BusMessage, l);
    link.onClose = (l) => {
      this.inbound.delete(l);
      for (const n of this.s.nodes.values()) if (n.inbound === l) n.inbound = null;
    };
  }

  /** Opens the outbound link to `n` and greets it with MEET or PING. */
  private connect(n: ClusterNode): void {
    if (n.pingSent === 0) n.pingSent = Date.now();
    const link = connectLink(n.ip, n.cport);
    n.link = link;
    link.onMessage = (m, l) => this.process(m as BusMessage, l);
    link.onClose = () => {
      if (n.link === link) n.link = null;
    };
    link.socket.once('connect', () => {
      const meet = (n.flags & NodeFlag.Meet) !== 0;
      this.send(link, meet ? 'meet' : 'ping');
      n.flags &= ~NodeFlag.Meet;
    });
  }

  /** Builds a message of `type` from myself (cluster.c `clusterBuildMessageHdr`). */
  private message(type: BusMessage['type'], extra: Partial<BusMessage> = {}): BusMessage {
    const s = this.s;
    const me = s.myself;
    const master = isSlave(me) && me.slaveof !== null ? me.slaveof : me;
    return {
      type,
      sender: me.id,
      ip: s.host.config.get('cluster-announce-ip'),
      port: s.announcedPort,
      cport: s.announcedBusPort,
      flags: me.flags & ~NodeFlag.Myself,
      currentEpoch: s.currentEpoch,
      configEpoch: master.configEpoch,
      slots: master.slots,
      slaveof: isSlave(me) ? (me.slaveof?.id ?? null) : null,
      offset: s.host.replOffset(),
      ...(this.mfReplica !== null ? { paused: true } : {}),
      ...extra,
    };
  }

  /** Sends a message on `link`, with a gossip section for MEET, PING and PONG. */
  send(link: Link, type: BusMessage['type'], extra: Partial<BusMessage> = {}): void {
    const msg = this.message(type, extra);
    if (type === 'meet' || type === 'ping' || type === 'pong') msg.gossip = this.gossipSection();
    link.send(msg);
    this.sent.set(type, (this.sent.get(type) ?? 0) + 1);
  }

  /** Sends to every node with a link (cluster.c `clusterBroadcastMessage`). */
  broadcast(type: BusMessage['type'], extra: Partial<BusMessage> = {}): void {
    for (const n of this.s.nodes.values()) {
      if (n === this.s.myself || (n.flags & NodeFlag.Handshake) !== 0 || n.link === null) continue;
      this.send(n.link as Link, type, extra);
    }
  }

  /** Every other node (no handshakes): the clusters here are small enough to gossip about all. */
  private gossipSection(): GossipEntry[] {
    const out: GossipEntry[] = [];
    for (const n of this.s.nodes.values()) {
      if (n === this.s.myself || (n.flags & (NodeFlag.Handshake | NodeFlag.NoAddr)) !== 0) continue;
      if (n.link === null && n.numSlots === 0 && n.pongReceived === 0) continue;
      out.push({ id: n.id, ip: n.ip, port: n.port, cport: n.cport, flags: n.flags });
    }
    return out;
  }

  /**
   * CLUSTER MEET (cluster.c `clusterStartHandshake`): a node in handshake
   * under a random id until its first PONG tells its own.
   *
   * @returns false for an address that cannot be a node's
   */
  meet(ip: string, port: number, cport: number): boolean {
    if (isIP(ip) === 0 || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) return false;
    const norm = ip.replace(/^::ffff:/, '');
    for (const n of this.s.nodes.values()) {
      if ((n.flags & NodeFlag.Handshake) !== 0 && n.ip === norm && n.port === port && n.cport === cport) return true;
    }
    // A random id, as Redis gives a node in handshake, until its PONG tells the real one.
    const n = makeNode(newNodeId(), norm, port, cport, NodeFlag.Handshake | NodeFlag.Meet);
    this.s.nodes.set(n.id, n);
    return true;
  }

  // ------------------------------------------------------------------ receiving

  /** Handles one message (cluster.c `clusterProcessPacket`). */
  private process(m: BusMessage, link: Link): void {
    const s = this.s;
    this.received.set(m.type, (this.received.get(m.type) ?? 0) + 1);
    const now = Date.now();
    let sender = s.nodes.get(m.sender);
    if (sender !== undefined && (sender.flags & NodeFlag.Handshake) !== 0) sender = undefined;
    if (sender !== undefined && !link.outbound) sender.inbound = link;
    const e = this.election;
    if (sender !== undefined && m.paused === true && sender === s.myself.slaveof && e.manualEnd > now) {
      if (e.primaryOffset === -1) e.primaryOffset = m.offset;
    }
    if (sender !== undefined) {
      if (m.currentEpoch > s.currentEpoch) {
        s.currentEpoch = m.currentEpoch;
        s.dirty = true;
      }
      if (m.configEpoch > sender.configEpoch) {
        sender.configEpoch = m.configEpoch;
        s.dirty = true;
      }
      sender.replOffset = m.offset;
    }
    const remoteIp = (link.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (m.type === 'meet' || m.type === 'ping') {
      // Learn the address others reach me at (cluster.c: `myip` from the connection's local address).
      if (s.myself.ip === '' && s.host.config.get('cluster-announce-ip') === '') {
        s.myself.ip = (link.socket.localAddress ?? '').replace(/^::ffff:/, '');
        s.dirty = true;
      }
      if (sender === undefined && m.type === 'meet' && !s.blacklisted(m.sender)) {
        const n = makeNode(m.sender, m.ip || remoteIp, m.port, m.cport, m.flags & (NodeFlag.Master | NodeFlag.Slave));
        s.nodes.set(n.id, n);
        n.inbound = link;
        sender = n;
        s.dirty = true;
        this.processGossip(m, n);
      }
      this.send(link, 'pong');
    }
    if (m.type === 'meet' || m.type === 'ping' || m.type === 'pong') {
      if (link.outbound && m.type === 'pong') this.pongOnLink(m, link, now);
      sender = s.nodes.get(m.sender);
      if (sender === undefined || (sender.flags & NodeFlag.Handshake) !== 0) return this.finish();
      if (isFailed(sender) || (sender.flags & NodeFlag.PFail) !== 0) {
        sender.flags &= ~NodeFlag.PFail;
        s.clearFailureIfNeeded(sender);
      }
      // The sender's address as it announces it (cluster.c `nodeUpdateAddressIfNeeded`).
      if ((m.ip !== '' && m.ip !== sender.ip) || m.port !== sender.port || m.cport !== sender.cport) {
        if (m.ip !== '') sender.ip = m.ip;
        sender.port = m.port;
        if (m.cport !== sender.cport) sender.link?.close();
        sender.cport = m.cport;
        s.dirty = true;
      }
      this.roleChange(sender, m);
      this.slotsChange(sender, m);
      this.processGossip(m, sender);
      return this.finish();
    }
    if (sender === undefined) return this.finish();
    if (m.type === 'fail') {
      const failing = s.nodes.get(m.node ?? '');
      if (failing !== undefined && failing !== s.myself && !isFailed(failing)) {
        s.host.log.warn({ node: failing.id, by: sender.id }, 'FAIL message received');
        failing.flags = (failing.flags & ~NodeFlag.PFail) | NodeFlag.Fail;
        failing.failTime = now;
        s.dirty = true;
        s.updateState();
      }
    } else if (m.type === 'update') {
      const n = s.nodes.get(m.node ?? '');
      if (n !== undefined && m.updEpoch !== undefined && m.updSlots !== undefined && n.configEpoch < m.updEpoch) {
        if (isSlave(n)) s.setNodeAsMaster(n);
        n.configEpoch = m.updEpoch;
        s.updateSlotsConfigWith(n, m.updEpoch, m.updSlots);
      }
    } else if (m.type === 'mfstart') {
      // A replica of mine asks for a manual failover: pause writers, tell it the offset to reach (cluster.c).
      if (isMaster(s.myself) && sender.slaveof === s.myself) {
        this.mfReplica = sender;
        this.mfEnd = now + MF_TIMEOUT;
        s.host.pauseWrites(now + MF_TIMEOUT * 2);
        const link = sender.link ?? sender.inbound;
        if (link !== null) this.send(link as Link, 'ping');
      }
    } else if (m.type === 'publish') {
      if (m.channel !== undefined && m.message !== undefined) {
        s.host.publishLocal(Buffer.from(m.channel), Buffer.from(m.message));
      }
    } else if (m.type === 'auth-req') {
      this.voteIfNeeded(sender, m);
    } else if (m.type === 'auth-ack') {
      if (isMaster(sender) && sender.numSlots > 0 && m.currentEpoch >= this.election.epoch) this.election.count++;
    }
    this.finish();
  }

  /** Writes the nodes file and the state after a message changed them. */
  private finish(): void {
    this.s.updateState();
    this.s.saveIfNeeded();
  }

  /** A PONG on a link this node opened: the handshake ends, the node is alive. */
  private pongOnLink(m: BusMessage, link: Link, now: number): void {
    const s = this.s;
    let n: ClusterNode | undefined;
    for (const x of s.nodes.values()) if (x.link === link) n = x;
    if (n === undefined) return;
    if ((n.flags & NodeFlag.Handshake) !== 0) {
      const known = s.nodes.get(m.sender);
      s.nodes.delete(n.id);
      if (known !== undefined || s.blacklisted(m.sender)) {
        // Already known under its id: the handshake entry goes, its link with it.
        link.close();
        return;
      }
      n.id = m.sender;
      n.flags = m.flags & (NodeFlag.Master | NodeFlag.Slave);
      s.nodes.set(n.id, n);
      s.dirty = true;
    }
    n.pongReceived = now;
    n.pingSent = 0;
  }

  /** The sender turned primary or replica (cluster.c, "Check for role switch"). */
  private roleChange(sender: ClusterNode, m: BusMessage): void {
    const s = this.s;
    if (m.slaveof === null) {
      if (isSlave(sender)) s.setNodeAsMaster(sender);
      return;
    }
    if (isMaster(sender)) {
      s.delNodeSlots(sender);
      sender.flags = (sender.flags & ~(NodeFlag.Master | NodeFlag.MigrateTo)) | NodeFlag.Slave;
      s.dirty = true;
    }
    const master = s.nodes.get(m.slaveof);
    if (master !== undefined && sender.slaveof !== master) {
      sender.slaveof = master;
      s.dirty = true;
    }
  }

  /**
   * A primary's claim of slots: taken when its epoch wins; a claim that a
   * newer owner already won gets an UPDATE back (cluster.c, "Update our
   * info about served slots").
   */
  private slotsChange(sender: ClusterNode, m: BusMessage): void {
    const s = this.s;
    if (m.slaveof !== null || !isMaster(sender)) return;
    let differs = false;
    for (let i = 0; i < m.slots.length; i++) {
      if (m.slots[i] !== sender.slots[i]) {
        differs = true;
        break;
      }
    }
    if (!differs) return;
    s.updateSlotsConfigWith(sender, m.configEpoch, m.slots);
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if ((m.slots[j >> 3]! & (1 << (j & 7))) === 0) continue;
      const owner = s.slots[j]!;
      if (owner === null || owner === sender) continue;
      if (owner.configEpoch > m.configEpoch) {
        const link = sender.link ?? sender.inbound;
        if (link !== null) {
          this.send(link as Link, 'update', { node: owner.id, updEpoch: owner.configEpoch, updSlots: owner.slots });
        }
        break;
      }
    }
    if (isMaster(s.myself) && m.configEpoch === s.myself.configEpoch) s.handleConfigEpochCollision(sender);
  }

  /**
   * The gossip section: new nodes are met, primaries' failure reports
   * counted (cluster.c `clusterProcessGossipSection`).
   */
  private processGossip(m: BusMessage, sender: ClusterNode): void {
    const s = this.s;
    for (const g of m.gossip ?? []) {
      const n = s.nodes.get(g.id);
      if (n !== undefined) {
        if (n === s.myself) continue;
        if (isMaster(sender)) {
          if ((g.flags & (NodeFlag.Fail | NodeFlag.PFail)) !== 0) {
            s.addFailureReport(n, sender);
            if (s.markFailingIfNeeded(n)) this.broadcast('fail', { node: n.id });
          } else {
            s.delFailureReport(n, sender);
          }
        }
        continue;
      }
      if ((g.flags & NodeFlag.NoAddr) !== 0 || s.blacklisted(g.id) || g.ip === '') continue;
      const fresh = makeNode(g.id, g.ip, g.port, g.cport, g.flags & (NodeFlag.Master | NodeFlag.Slave));
      s.nodes.set(fresh.id, fresh);
      s.dirty = true;
    }
  }

  // ------------------------------------------------------------------ failover

  /** A primary's vote for a replica's failover (cluster.c `clusterSendFailoverAuthIfNeeded`). */
  private voteIfNeeded(node: ClusterNode, m: BusMessage): void {
    const s = this.s;
    const me = s.myself;
    if (isSlave(me) || me.numSlots === 0) return;
    if (m.currentEpoch < s.currentEpoch || s.lastVoteEpoch === s.currentEpoch) return;
    const master = node.slaveof;
    if (isMaster(node) || master === null || (!isFailed(master) && m.force !== true)) return;
    if (Date.now() - master.votedTime < s.nodeTimeout * 2) return;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if ((m.slots[j >> 3]! & (1 << (j & 7))) === 0) continue;
      const owner = s.slots[j]!;
      if (owner === null || owner.configEpoch <= m.configEpoch) continue;
      return;
    }
    s.lastVoteEpoch = s.currentEpoch;
    master.votedTime = Date.now();
    s.save(true);
    const link = node.link ?? node.inbound;
    if (link !== null) this.send(link as Link, 'auth-ack');
    s.host.log.info({ replica: node.id, epoch: s.currentEpoch }, 'failover auth granted');
  }

  /** This replica's rank: how many of its primary's replicas have a higher offset (cluster.c `clusterGetSlaveRank`). */
  private rank(): number {
    const me = this.s.myself;
    if (me.slaveof === null) return 0;
    const mine = this.s.host.replOffset();
    let rank = 0;
    for (const r of this.s.replicasOf(me.slaveof)) if (r !== me && !isFailed(r) && r.replOffset > mine) rank++;
    return rank;
  }

  /**
   * A replica whose primary is FAIL (or asked by CLUSTER FAILOVER) runs an
   * election: after a delay by its rank it bumps the current epoch, asks the
   * primaries for their votes, and with a majority takes its primary's
   * slots (cluster.c `clusterHandleSlaveFailover`).
   */
  private handleFailover(): void {
    const s = this.s;
    const me = s.myself;
    const e = this.election;
    const now = Date.now();
    const manual = e.manualEnd > now;
    if (e.manualEnd !== 0 && !manual) this.resetManual();
    // A manual failover starts once this replica applied all its paused primary had (clusterHandleManualFailover).
    if (manual && !e.canStart && e.primaryOffset !== -1 && s.host.replOffset() >= e.primaryOffset) e.canStart = true;
    if (manual && !e.canStart) return;
    const master = me.slaveof;
    if (isMaster(me) || master === null || (!isFailed(master) && !manual) || master.numSlots === 0) return;
    if (s.host.config.get('cluster-replica-no-failover') && !manual) return;
    const timeout = s.nodeTimeout;
    const factor = s.host.config.get('cluster-replica-validity-factor');
    const dataAge = Math.max(0, now - master.pongReceived - timeout);
    if (!manual && factor > 0 && master.pongReceived > 0 && dataAge > timeout * factor + 10_000) return;
    const authTimeout = Math.max(timeout * 2, 2000);
    const authAge = now - e.time;
    if (authAge > authTimeout * 2) {
      e.time = now + 500 + Math.floor(Math.random() * 500);
      e.count = 0;
      e.sent = false;
      e.rank = this.rank();
      e.time += e.rank * 1000;
      if (manual) {
        e.time = now;
        e.rank = 0;
      }
      return;
    }
    if (!manual && !e.sent) {
      const rank = this.rank();
      if (rank > e.rank) e.time += (rank - e.rank) * 1000;
      e.rank = rank;
    }
    if (now < e.time || authAge > authTimeout) return;
    if (!e.sent) {
      s.currentEpoch++;
      e.epoch = s.currentEpoch;
      s.save(true);
      s.host.log.warn({ epoch: e.epoch }, 'starting a failover election');
      this.broadcast('auth-req', { force: manual });
      e.sent = true;
      return;
    }
    if (e.count < s.neededQuorum) return;
    s.host.log.warn({ epoch: e.epoch }, 'failover election won: I am the new primary');
    if (me.configEpoch < e.epoch) me.configEpoch = e.epoch;
    this.replaceMaster();
  }

  /** Takes the primary's slots and tells everyone (cluster.c `clusterFailoverReplaceYourMaster`). */
  replaceMaster(): void {
    const s = this.s;
    const me = s.myself;
    const old = me.slaveof;
    if (isMaster(me) || old === null) return;
    s.setNodeAsMaster(me);
    s.host.replicaOf(null, 0);
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (s.slots[j] !== old) continue;
      s.delSlot(j);
      s.addSlot(me, j);
    }
    s.updateState();
    s.save(true);
    this.broadcast('pong');
    this.resetManual();
  }

  /**
   * Starts a manual failover (CLUSTER FAILOVER): with `force` at once,
   * otherwise once the primary paused its writers and this replica caught up.
   */
  startManual(force: boolean): void {
    const e = this.election;
    this.resetManual();
    e.manualEnd = Date.now() + MF_TIMEOUT;
    e.time = 0;
    if (force) {
      e.canStart = true;
      return;
    }
    const master = this.s.myself.slaveof;
    const link = master?.link ?? master?.inbound ?? null;
    if (link !== null) this.send(link as Link, 'mfstart');
  }

  /** Forgets a manual failover in progress (cluster.c `resetManualFailover`). */
  private resetManual(): void {
    const e = this.election;
    e.manualEnd = 0;
    e.primaryOffset = -1;
    e.canStart = false;
  }

  // ------------------------------------------------------------------ cron

  /** Every 100 ms (cluster.c `clusterCron`): links, pings, failure detection, failover. */
  cron(): void {
    const s = this.s;
    const now = Date.now();
    const timeout = s.nodeTimeout;
    for (const n of [...s.nodes.values()]) {
      if (n === s.myself || (n.flags & NodeFlag.NoAddr) !== 0) continue;
      if ((n.flags & NodeFlag.Handshake) !== 0 && now - n.ctime > Math.max(timeout, 1000)) {
        n.link?.close();
        s.nodes.delete(n.id);
        continue;
      }
      if (n.ip === '' || n.cport === 0) continue;
      if (n.link === null) this.connect(n);
      const link = n.link as Link | null;
      // A link whose PING went unanswered for half the timeout is reconnected (cluster.c clusterCron).
      if (
        link !== null &&
        n.pingSent !== 0 &&
        now - link.createdAt > timeout &&
        now - n.pingSent > timeout / 2 &&
        now - link.lastData > timeout / 2
      ) {
        link.close();
      } else if (link !== null && n.pingSent === 0 && now - n.pongReceived > Math.min(1000, timeout / 2)) {
        this.send(link, 'ping');
        n.pingSent = now;
      }
      if (n.pingSent !== 0 && now - n.pingSent > timeout && (n.flags & (NodeFlag.PFail | NodeFlag.Fail)) === 0) {
        s.host.log.info({ node: n.id }, 'node possibly failing (PFAIL)');
        n.flags |= NodeFlag.PFail;
        if (s.markFailingIfNeeded(n)) this.broadcast('fail', { node: n.id });
      }
    }
    // A primary's pause for a manual failover ends with it, or when the primary was replaced.
    if (this.mfReplica !== null && (now > this.mfEnd || isSlave(s.myself))) {
      this.mfReplica = null;
      s.host.unpauseWrites();
    }
    this.handleFailover();
    s.updateState();
    s.saveIfNeeded();
  }

  /** Closes every link. */
  close(): void {
    for (const n of this.s.nodes.values()) {
      n.link?.close();
      n.inbound?.close();
    }
    for (const l of this.inbound) l.close();
  }
}
