/**
 * Cluster mode's commands and routing (`ClusterService` of
 * src/commands/context.ts): CLUSTER's subcommands (cluster.c
 * `clusterCommand`), ASKING / READONLY / READWRITE, and the check every
 * command passes before it runs (cluster.c `getNodeByQuery`,
 * `clusterRedirectClient`): MOVED, ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN.
 */
import type { ClusterService, CommandContext, CommandSpec } from '../commands/context.js';
import { keysInFlight } from '../commands/migrate.js';
import { keyPositions } from '../commands/table.js';
import { CLUSTER_SLOTS, keyHashSlot } from './crc16.js';
import { BusListener } from './bus.js';
import { Gossip } from './gossip.js';
import { type ClusterNode, describeNode, isFailed, isMaster, isSlave } from './node.js';
import { infoText, nodesText, replyLinks, replyShards, replySlots } from './replies.js';
import { type ClusterHost, ClusterState } from './state.js';

/** What the commands need beyond the state: the keys of a slot. */
export interface SlotKeys {
  /** Up to `max` keys of database 0 in `slot`. */
  keysInSlot(slot: number, max: number): Buffer[];
}

const HELP = [
  'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ADDSLOTS <slot> [<slot> ...]',
  '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH',
  '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>',
  '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]',
  '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'FAILOVER [FORCE|TAKEOVER]',
  '    Promote current replica node to being a master.',
  'FORGET <node-id>',
  '    Remove a node from the cluster.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS',
  '    Delete current node own slots information.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MEET <ip> <port> [<bus-port>]',
  '    Connect nodes into a working cluster.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'REPLICATE <node-id>',
  '    Configure current node as replica to <node-id>.',
  'RESET [HARD|SOFT]',
  '    Reset current node (default: soft).',
  'SET-CONFIG-EPOCH <epoch>',
  '    Set config epoch of current node.',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)',
  '    Set slot state.',
  'REPLICAS <node-id>',
  '    Return <node-id> replicas.',
  'SAVECONFIG',
  '    Force saving cluster configuration on disk.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
  'HELP',
  '    Prints this help.',
];

/** Commands cluster mode refuses outright, with Redis's texts. */
const REFUSED: ReadonlyMap<string, string> = new Map([
  ['replicaof', 'ERR REPLICAOF not allowed in cluster mode.'],
  ['slaveof', 'ERR REPLICAOF not allowed in cluster mode.'],
  ['swapdb', 'ERR SWAPDB is not allowed in cluster mode'],
  ['move', 'ERR MOVE is not allowed in cluster mode'],
]);

/** The sharded pub/sub commands: their channels are routed as keys are (cluster.c `getNodeByQuery`). */
const SHARD_CHANNELS: ReadonlySet<string> = new Set(['spublish', 'ssubscribe', 'sunsubscribe']);

/** A slot number argument, or -1 (cluster.c `getSlotOrReply`). */
function parseSlot(arg: Buffer): number {
  const t = arg.toString('latin1');
  if (!/^-?\d+$/.test(t)) return -1;
  const v = Number(t);
  return v < 0 || v >= CLUSTER_SLOTS ? -1 : v;
}

/** An integer argument as Redis's `getLongLongFromObject` reads it, or null. */
function parseInt64(arg: Buffer): number | null {
  const t = arg.toString('latin1');
  return /^-?\d{1,19}$/.test(t) ? Number(t) : null;
}

/** The cluster: state, bus, commands, routing. */
export class Cluster implements ClusterService {
  readonly state: ClusterState;
  readonly gossip: Gossip;
  private readonly listener = new BusListener();
  private cron: NodeJS.Timeout | null = null;
  /** Connections that sent ASKING (for their next command) and READONLY. */
  private readonly asking = new WeakSet<object>();
  private readonly readonlyConns = new WeakSet<object>();

  constructor(
    readonly host: ClusterHost,
    private readonly keys: SlotKeys,
  ) {
    this.state = new ClusterState(host);
    this.gossip = new Gossip(this.state);
    this.state.save();
  }

  /**
   * Listens on the bus port and starts the cron; a replica resumes following its primary
   * when replication starts (its `replicaof` is set here, before).
   *
   * @throws the listen error
   */
  async start(bind: string): Promise<void> {
    await this.listener.listen(bind, this.host.busPort, (link) => this.gossip.accept(link));
    const me = this.state.myself;
    // A replica per its nodes file follows its primary from the start (replication starts after this).
    if (isSlave(me) && me.slaveof !== null && me.slaveof.ip !== '') {
      this.host.config.assign('replicaof', `${me.slaveof.ip} ${me.slaveof.port}`);
    }
    this.cron = setInterval(() => {
      this.gossip.cron();
      this.redirectBlocked();
    }, 100);
    this.cron.unref();
  }

  /**
   * Clients blocked on keys of a slot this node no longer serves, or while
   * the cluster is down, get MOVED or CLUSTERDOWN instead of waiting forever
   * (cluster.c `clusterRedirectBlockedClientIfNeeded`); of a slot migrating
   * away, TRYAGAIN.
   */
  private redirectBlocked(): void {
    const s = this.state;
    for (const [id, keys] of this.host.blockedClients()) {
      if (keys.length === 0) continue;
      if (s.state !== 'ok') {
        this.host.unblockWithError(id, 'CLUSTERDOWN The cluster is down');
        continue;
      }
      const slot = keyHashSlot(keys[0]!);
      const owner = s.slots[slot]!;
      // A slot migrating away: its keys may be moved any time, so the waiter retries (through ASK) rather than
      // be served here later, which could create a key in the slot after GETKEYSINSLOT listed them.
      if (owner === s.myself && s.migrating[slot] !== null) {
        this.host.unblockWithError(id, 'TRYAGAIN Multiple keys request during rehashing of slot');
        continue;
      }
      if (owner === s.myself || s.importing[slot] !== null) continue;
      this.host.unblockWithError(
        id,
        owner === null ? 'CLUSTERDOWN Hash slot not served' : this.redirect('MOVED', slot, owner),
      );
    }
  }

  /** Stops the cron, the bus listener and every link. */
  stop(): void {
    if (this.cron !== null) clearInterval(this.cron);
    this.listener.close();
    this.gossip.close();
  }

  publish(channel: Buffer, message: Buffer): void {
    this.gossip.broadcast('publish', { channel, message });
  }

  connectionFlag(c: CommandContext, flag: 'asking' | 'readonly' | 'readwrite'): void {
    if (flag === 'asking') this.asking.add(c.session);
    else if (flag === 'readonly') this.readonlyConns.add(c.session);
    else this.readonlyConns.delete(c.session);
    c.reply.ok();
  }

  commandDone(c: CommandContext, name: string): void {
    if (c.multi === null && name !== 'asking') this.asking.delete(c.session);
  }

  route(c: CommandContext, spec: CommandSpec, argv: Buffer[]): string | null {
    const asking = this.asking.has(c.session);
    const refused = REFUSED.get(spec.name);
    if (refused !== undefined) return refused;
    if (spec.name === 'select' && argv.length === 2 && /^-?\d+$/.test(argv[1]!.toString('latin1'))) {
      return Number(argv[1]!.toString('latin1')) === 0 ? null : 'ERR SELECT is not allowed in cluster mode';
    }
    const exec = spec.name === 'exec';
    if (!exec && spec.keys.length === 0) return null;
    if (exec && c.multi === null) return null;
    const s = this.state;
    const commands = exec ? c.multi!.queue.map((q) => ({ spec: q.spec, argv: q.argv })) : [{ spec, argv }];
    let first: Buffer | null = null;
    let slot = 0;
    let n: ClusterNode | null = null;
    let multipleKeys = false;
    let migrating = false;
    let importing = false;
    let missing = 0;
    let existing = 0;
    let writes = false;
    const pubsubShard = SHARD_CHANNELS.has(spec.name);
    for (const q of commands) {
      if (q.spec.isWrite) writes = true;
      // Shard channels count as keys (cluster.c uses the legacy key range, which includes them).
      const positions = SHARD_CHANNELS.has(q.spec.name)
        ? q.argv.map((_, i) => i).slice(1, q.spec.name === 'spublish' ? 2 : undefined)
        : (keyPositions(q.spec, q.argv) ?? []);
      for (const pos of positions) {
        const key = q.argv[pos]!;
        const thisSlot = keyHashSlot(key);
        if (first === null) {
          first = key;
          slot = thisSlot;
          n = s.slots[slot]!;
          if (n === null) return 'CLUSTERDOWN Hash slot not served';
          if (n === s.myself && s.migrating[slot] !== null) migrating = true;
          else if (s.importing[slot] !== null) importing = true;
        } else if (!first.equals(key)) {
          if (slot !== thisSlot) return "CROSSSLOT Keys in request don't hash to the same slot";
          multipleKeys = true;
        }
        // A write to a key a MIGRATE is sending now waits for it to end (Redis's MIGRATE blocks the server).
        const inFlight = keysInFlight.size > 0 && q.spec.name !== 'migrate';
        if (inFlight && q.spec.isWrite && keysInFlight.has(key.toString('latin1'))) {
          return 'TRYAGAIN Multiple keys request during rehashing of slot';
        }
        if ((migrating || importing) && !pubsubShard) {
          if (c.db.peek(key) < 0) missing++;
          else existing++;
        }
      }
    }
    if (n === null) return null;
    if (s.state !== 'ok') {
      if (pubsubShard) {
        if (!this.host.config.get('cluster-allow-pubsubshard-when-down')) return 'CLUSTERDOWN The cluster is down';
      } else if (!this.host.config.get('cluster-allow-reads-when-down')) return 'CLUSTERDOWN The cluster is down';
      if (writes) return 'CLUSTERDOWN The cluster is down and only accepts read commands';
    }
    if ((migrating || importing) && spec.name === 'migrate') return null;
    if (migrating && missing > 0) {
      if (existing > 0) return 'TRYAGAIN Multiple keys request during rehashing of slot';
      return this.redirect('ASK', slot, s.migrating[slot]!);
    }
    if (importing && (asking || spec.flags.includes('asking'))) {
      if (multipleKeys && missing > 0) return 'TRYAGAIN Multiple keys request during rehashing of slot';
      return null;
    }
    const me = s.myself;
    if ((this.readonlyConns.has(c.session) || pubsubShard) && !writes && isSlave(me) && me.slaveof === n) return null;
    return n === me ? null : this.redirect('MOVED', slot, n);
  }

  /** `MOVED <slot> <ip>:<port>` or `ASK ...` (cluster.c `clusterRedirectClient`). */
  private redirect(kind: 'MOVED' | 'ASK', slot: number, n: ClusterNode): string {
    return `${kind} ${slot} ${n.ip}:${n.port}`;
  }

  command(c: CommandContext, sub: string, argv: Buffer[]): void {
    const s = this.state;
    const r = c.reply;
    const me = s.myself;
    const arg = (i: number): string => argv[i]!.toString('latin1');
    const lookup = (i: number): ClusterNode | undefined => s.nodes.get(arg(i));
    switch (sub) {
      case 'help':
        r.arrayLen(HELP.length);
        for (const line of HELP) r.simple(line);
        return;
      case 'myid':
        return r.bulkString(me.id);
      case 'keyslot':
        return r.int(keyHashSlot(argv[2]!));
      case 'nodes':
        return r.verbatim(nodesText(s));
      case 'slots':
        return replySlots(r, s);
      case 'shards':
        return replyShards(r, s);
      case 'info':
        return r.verbatim(infoText(s, this.gossip));
      case 'links':
        return replyLinks(r, s);
      case 'countkeysinslot': {
        const v = parseInt64(argv[2]!);
        if (v === null) return r.error('ERR value is not an integer or out of range');
        if (v < 0 || v >= CLUSTER_SLOTS) return r.error('ERR Invalid slot');
        return r.int(this.host.countKeysInSlot(v));
      }
      case 'getkeysinslot': {
        const slot = parseInt64(argv[2]!);
        if (slot === null) return r.error('ERR value is not an integer or out of range');
        const max = parseInt64(argv[3]!);
        if (max === null) return r.error('ERR value is not an integer or out of range');
        if (slot < 0 || slot >= CLUSTER_SLOTS || max < 0) return r.error('ERR Invalid slot or number of keys');
        return r.bulkArray(this.keys.keysInSlot(slot, max));
      }
      case 'addslots':
      case 'delslots':
        return this.changeSlots(c, argv, sub === 'delslots', false);
      case 'addslotsrange':
      case 'delslotsrange':
        if (argv.length % 2 === 1) return r.error(`ERR wrong number of arguments for 'cluster|${sub}' command`);
        return this.changeSlots(c, argv, sub === 'delslotsrange', true);
      case 'flushslots':
        if (this.host.keyCount() !== 0) return r.error('ERR DB must be empty to perform CLUSTER FLUSHSLOTS.');
        s.delNodeSlots(me);
        return this.savedOk(c);
      case 'setslot':
        return this.setslot(c, argv);
      case 'bumpepoch': {
        const bumped = s.bumpEpochWithoutConsensus();
        s.save();
        return r.simple(`${bumped ? 'BUMPED' : 'STILL'} ${me.configEpoch}`);
      }
      case 'set-config-epoch': {
        const epoch = parseInt64(argv[2]!);
        if (epoch === null) return r.error('ERR value is not an integer or out of range');
        if (epoch < 0) return r.error(`ERR Invalid config epoch specified: ${epoch}`);
        if (s.nodes.size > 1) {
          return r.error('ERR The user can assign a config epoch only when the node does not know any other node.');
        }
        if (me.configEpoch !== 0) return r.error('ERR Node config epoch is already non-zero');
        me.configEpoch = epoch;
        if (s.currentEpoch < epoch) s.currentEpoch = epoch;
        return this.savedOk(c);
      }
      case 'meet': {
        if (argv.length !== 4 && argv.length !== 5) return r.error(subcommandError(argv));
        const port = parseInt64(argv[3]!);
        if (port === null) return r.error(`ERR Invalid TCP base port specified: ${arg(3)}`);
        let cport = port + 10000;
        if (argv.length === 5) {
          const p = parseInt64(argv[4]!);
          if (p === null) return r.error(`ERR Invalid TCP bus port specified: ${arg(4)}`);
          cport = p;
        }
        if (!this.gossip.meet(arg(2), port, cport)) {
          return r.error(`ERR Invalid node address specified: ${arg(2)}:${arg(3)}`);
        }
        return r.ok();
      }
      case 'forget': {
        const n = lookup(2);
        if (n === undefined) return r.error(`ERR Unknown node ${arg(2)}`);
        if (n === me) return r.error("ERR I tried hard but I can't forget myself...");
        if (isSlave(me) && me.slaveof === n) return r.error("ERR Can't forget my master!");
        s.blacklistAdd(n.id);
        s.delNode(n);
        return this.savedOk(c);
      }
      case 'replicate': {
        const n = lookup(2);
        if (n === undefined) return r.error(`ERR Unknown node ${arg(2)}`);
        if (n === me) return r.error("ERR Can't replicate myself");
        if (isSlave(n)) return r.error('ERR I can only replicate a master, not a replica.');
        if (isMaster(me) && (me.numSlots !== 0 || this.host.keyCount() !== 0)) {
          return r.error('ERR To set a master the node must be empty and without assigned slots.');
        }
        s.setMaster(n);
        // Tell the others at once rather than at the next PING.
        this.gossip.broadcast('pong');
        return this.savedOk(c);
      }
      case 'replicas':
      case 'slaves': {
        const n = lookup(2);
        if (n === undefined) return r.error(`ERR Unknown node ${arg(2)}`);
        if (isSlave(n)) return r.error('ERR The specified node is not a master');
        const replicas = s.replicasOf(n);
        r.arrayLen(replicas.length);
        for (const x of replicas) r.bulkString(describeNode(x, null));
        return;
      }
      case 'count-failure-reports': {
        const n = lookup(2);
        if (n === undefined) return r.error(`ERR Unknown node ${arg(2)}`);
        return r.int(s.failureReportCount(n));
      }
      case 'failover':
        return this.failover(c, argv);
      case 'reset': {
        if (argv.length > 3) return r.error(subcommandError(argv));
        let hard = false;
        if (argv.length === 3) {
          const how = arg(2).toLowerCase();
          if (how === 'hard') hard = true;
          else if (how !== 'soft') return r.error('ERR syntax error');
        }
        if (isMaster(me) && this.host.keyCount() !== 0) {
          return r.error("ERR CLUSTER RESET can't be called with master nodes containing keys");
        }
        s.reset(hard);
        return r.ok();
      }
      case 'saveconfig':
        try {
          s.save();
        } catch (err) {
          return r.error(`ERR error saving the cluster node config: ${(err as Error).message}`);
        }
        return r.ok();
      default:
        return r.error(subcommandError(argv));
    }
  }

  /** Writes the nodes file before the reply, as Redis's beforeSleep does, then answers OK. */
  private savedOk(c: CommandContext): void {
    this.state.updateState();
    this.state.save();
    c.reply.ok();
  }

  /** ADDSLOTS, DELSLOTS and their RANGE forms (cluster.c `checkSlotAssignmentsOrReply`, `clusterUpdateSlots`). */
  private changeSlots(c: CommandContext, argv: Buffer[], del: boolean, ranges: boolean): void {
    const s = this.state;
    const r = c.reply;
    const seen = new Uint8Array(CLUSTER_SLOTS);
    const pairs: [number, number][] = [];
    if (ranges) {
      for (let j = 2; j < argv.length; j += 2) {
        const a = parseSlot(argv[j]!);
        if (a < 0) return r.error('ERR Invalid or out of range slot');
        const b = parseSlot(argv[j + 1]!);
        if (b < 0) return r.error('ERR Invalid or out of range slot');
        if (a > b) return r.error(`ERR start slot number ${a} is greater than end slot number ${b}`);
        pairs.push([a, b]);
      }
    } else {
      for (let j = 2; j < argv.length; j++) {
        const v = parseSlot(argv[j]!);
        if (v < 0) return r.error('ERR Invalid or out of range slot');
        pairs.push([v, v]);
      }
    }
    for (const [a, b] of pairs) {
      for (let j = a; j <= b; j++) {
        if (del && s.slots[j] === null) return r.error(`ERR Slot ${j} is already unassigned`);
        if (!del && s.slots[j] !== null) return r.error(`ERR Slot ${j} is already busy`);
        if (seen[j]!++ === 1) return r.error(`ERR Slot ${j} specified multiple times`);
      }
    }
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (seen[j] === 0) continue;
      if (s.importing[j] !== null) s.importing[j] = null;
      if (del) s.delSlot(j);
      else s.addSlot(s.myself, j);
    }
    this.savedOk(c);
  }

  /** CLUSTER SETSLOT <slot> IMPORTING|MIGRATING <id> | STABLE | NODE <id>. */
  private setslot(c: CommandContext, argv: Buffer[]): void {
    const s = this.state;
    const r = c.reply;
    const me = s.myself;
    if (isSlave(me)) return r.error('ERR Please use SETSLOT only with masters.');
    const slot = parseSlot(argv[2]!);
    if (slot < 0) return r.error('ERR Invalid or out of range slot');
    const action = argv[3]!.toString('latin1').toLowerCase();
    const id = argv.length === 5 ? argv[4]!.toString('latin1') : '';
    const n = s.nodes.get(id);
    if (action === 'migrating' && argv.length === 5) {
      if (s.slots[slot] !== me) return r.error(`ERR I'm not the owner of hash slot ${slot}`);
      if (n === undefined) return r.error(`ERR I don't know about node ${id}`);
      if (isSlave(n)) return r.error('ERR Target node is not a master');
      s.migrating[slot] = n;
      this.redirectBlocked();
    } else if (action === 'importing' && argv.length === 5) {
      if (s.slots[slot] === me) return r.error(`ERR I'm already the owner of hash slot ${slot}`);
      if (n === undefined) return r.error(`ERR I don't know about node ${id}`);
      if (isSlave(n)) return r.error('ERR Target node is not a master');
      s.importing[slot] = n;
    } else if (action === 'stable' && argv.length === 4) {
      s.importing[slot] = null;
      s.migrating[slot] = null;
    } else if (action === 'node' && argv.length === 5) {
      if (n === undefined) return r.error(`ERR Unknown node ${id}`);
      if (isSlave(n)) return r.error('ERR Target node is not a master');
      const count = this.host.countKeysInSlot(slot);
      if (s.slots[slot] === me && n !== me && count !== 0) {
        return r.error(
          `ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`,
        );
      }
      if (count === 0 && s.migrating[slot] !== null) s.migrating[slot] = null;
      const wasMine = s.slots[slot] === me;
      s.delSlot(slot);
      s.addSlot(n, slot);
      if (wasMine && n !== me && me.numSlots === 0 && this.host.config.get('cluster-allow-replica-migration')) {
        s.setMaster(n);
      }
      if (n === me && s.importing[slot] !== null) {
        s.bumpEpochWithoutConsensus();
        s.importing[slot] = null;
        s.updateState();
        s.save();
        this.gossip.broadcast('pong');
      }
    } else {
      return r.error('ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP');
    }
    s.dirty = true;
    this.savedOk(c);
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER] (cluster.c; the default waits for no offset: see docs/CLUSTER.md). */
  private failover(c: CommandContext, argv: Buffer[]): void {
    const s = this.state;
    const r = c.reply;
    const me = s.myself;
    if (argv.length > 3) return r.error(subcommandError(argv));
    let force = false;
    let takeover = false;
    if (argv.length === 3) {
      const how = argv[2]!.toString('latin1').toLowerCase();
      if (how === 'force') force = true;
      else if (how === 'takeover') force = takeover = true;
      else return r.error('ERR syntax error');
    }
    if (isMaster(me)) return r.error('ERR You should send CLUSTER FAILOVER to a replica');
    const master = me.slaveof;
    if (master === null) return r.error("ERR I'm a replica but my master is unknown to me");
    if (!force && (isFailed(master) || master.link === null)) {
      return r.error('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE');
    }
    if (takeover) {
      s.host.log.warn({}, 'taking over the master (user request)');
      s.bumpEpochWithoutConsensus();
      this.gossip.replaceMaster();
    } else {
      this.gossip.startManual(force);
    }
    r.ok();
  }
}

/** Redis's reply to an unknown subcommand or a wrong number of arguments (`addReplySubcommandSyntaxError`). */
function subcommandError(argv: Buffer[]): string {
  const name = argv[1]!.toString('latin1');
  return `ERR unknown subcommand or wrong number of arguments for '${name}'. Try CLUSTER HELP.`;
}
