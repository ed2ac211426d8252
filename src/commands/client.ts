/**
 * CLIENT, after Redis 7.0's networking.c `clientCommand`: ID, INFO, LIST,
 * KILL, GETNAME, SETNAME, PAUSE, UNPAUSE, REPLY, NO-EVICT, UNBLOCK, HELP;
 * SETINFO (Redis 7.2's, which client libraries send); TRACKING, CACHING,
 * GETREDIR and TRACKINGINFO come from ./tracking.ts.
 *
 * What CLIENT LIST shows of a connection is its {@link Session}; CLIENT PAUSE
 * is the server's ({@link ClientPause}, src/server/pause.ts); CLIENT REPLY is
 * applied where the connection runs its commands (src/server/client.ts).
 *
 * Reference: https://redis.io/docs/latest/commands/client/
 */
import type { CommandContext, CommandSpec, PauseMode, ServerServices, Session } from './context.js';
import type { PrimaryClient } from './repl-service.js';
import { command, container } from './table.js';
import { trackingSubcommands } from './tracking.js';
import { ERR, isWord, longOrReply, parseInt64, rangeLongOrReply, replyHelp, word, INT64_MAX } from './util.js';

/**
 * Checks a client name as Redis's `clientSetName` does: printable ASCII
 * without spaces (`!` to `~`).
 *
 * @returns an error text, or null when the name is acceptable
 */
export function invalidClientName(name: Uint8Array): string | null {
  for (const b of name) {
    if (b < 33 || b > 126) return 'ERR Client names cannot contain spaces, newlines or special characters.';
  }
  return null;
}

/** Whether `s` is subscribed to anything (Redis's `CLIENT_PUBSUB`). */
function subscribed(s: Session): boolean {
  const subs = s.subscriptions;
  return subs.channels.size + subs.patterns.size + subs.shardChannels.size > 0;
}

/**
 * The client types of CLIENT LIST TYPE and CLIENT KILL TYPE (networking.c
 * `getClientTypeByName`); `replica` and `slave` are one.
 */
type ClientType = 'normal' | 'slave' | 'pubsub' | 'master';

function clientTypeByName(arg: Buffer): ClientType | null {
  const name = arg.toString('latin1').toLowerCase();
  if (name === 'normal' || name === 'pubsub' || name === 'master') return name;
  if (name === 'slave' || name === 'replica') return 'slave';
  return null;
}

/**
 * A connection's type (networking.c `getClientType`): a replica's link is
 * `slave`; a monitor is normal. The link to this server's primary, `master`,
 * is not a Session (see {@link primaryClientLine}).
 */
function clientType(s: Session): ClientType {
  if (s.replicaLink) return 'slave';
  return subscribed(s) ? 'pubsub' : 'normal';
}

/**
 * The CLIENT LIST line of a replica's connection to its primary, Redis's
 * master client: flag `M`, no buffers of its own.
 */
function primaryClientLine(p: PrimaryClient): string {
  const nowSec = Math.floor(Date.now() / 1000);
  return (
    `id=${p.id} addr=${p.addr} laddr=${p.laddr} fd=${p.fd} name= ` +
    `age=${nowSec - Math.floor(p.createdAt / 1000)} idle=${nowSec - Math.floor(p.lastInteraction / 1000)} ` +
    `flags=M db=${p.dbIndex} sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 ` +
    `rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=${p.lastCommand} user=default redir=-1 resp=2 ` +
    'lib-name= lib-ver='
  );
}

/**
 * One CLIENT LIST line (networking.c `catClientInfoString`), without the
 * newline: the fields redis-server 7.0 prints, in its order, then Redis
 * 7.2's `lib-name` and `lib-ver` (CLIENT SETINFO). Flags in Redis's order:
 * `O` monitor, `P` subscribed, `x` in MULTI, `b` blocked or paused, `d`
 * watched key touched, `c` closing after its replies, `e` no-evict; `N` for none.
 */
export function clientInfoLine(s: Session, server: ServerServices): string {
  const nowSec = Math.floor(Date.now() / 1000);
  const subs = s.subscriptions;
  let flags = '';
  if (s.replicaLink) flags += 'S';
  if (server.monitors.has(s)) flags += 'O';
  if (subscribed(s)) flags += 'P';
  if (s.queued >= 0) flags += 'x';
  if (s.blockedOnKeys || s.postponed) flags += 'b';
  const t = s.tracking;
  if (t !== null) flags += `t${t.brokenRedirect ? 'R' : ''}${t.bcast ? 'B' : ''}`;
  if (s.dirtyCas) flags += 'd';
  if (s.closeAfterReply) flags += 'c';
  if (s.noEvict) flags += 'e';
  const b = s.buffers();
  return (
    `id=${s.id} addr=${s.addr} laddr=${s.laddr} fd=${s.fd} name=${s.name} ` +
    `age=${nowSec - Math.floor(s.createdAt / 1000)} idle=${nowSec - Math.floor(s.lastInteraction / 1000)} ` +
    `flags=${flags || 'N'} db=${s.dbIndex} sub=${subs.channels.size} psub=${subs.patterns.size} ` +
    `ssub=${subs.shardChannels.size} multi=${s.queued} qbuf=${b.qbuf} qbuf-free=0 argv-mem=${b.argvMem} ` +
    `multi-mem=${b.multiMem} rbs=${b.rbs} rbp=${b.rbp} obl=${b.obl} oll=${b.oll} omem=${b.omem} ` +
    `tot-mem=${b.qbuf + b.argvMem + b.multiMem + b.rbs + b.omem} events=${b.events} ` +
    `cmd=${s.lastCommand} user=default redir=${t?.redirect ?? -1} resp=${s.resp} ` +
    `lib-name=${s.libName} lib-ver=${s.libVer}`
  );
}

/** Redis's reply to a CLIENT subcommand with an argument count its handler refuses (addReplySubcommandSyntaxError). */
function subcommandSyntaxError(c: CommandContext, argv: Buffer[]): void {
  const sub = argv[1]!.toString('latin1').slice(0, 128);
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try CLIENT HELP.`);
}

/** CLIENT ID */
function clientIdCommand(c: CommandContext): void {
  c.reply.int(c.session.id);
}

/** CLIENT SETNAME name: an empty name removes it. */
function clientSetnameCommand(c: CommandContext, argv: Buffer[]): void {
  const err = invalidClientName(argv[2]!);
  if (err !== null) return c.reply.error(err);
  c.session.name = argv[2]!.toString('latin1');
  c.reply.ok();
}

/** CLIENT GETNAME: the name, or a null bulk. */
function clientGetnameCommand(c: CommandContext): void {
  if (c.session.name === '') c.reply.nullBulk();
  else c.reply.bulk(Buffer.from(c.session.name, 'latin1'));
}

/** CLIENT INFO: a verbatim string (RESP2: a bulk string), as networking.c `clientCommand`. */
function clientInfoCommand(c: CommandContext): void {
  c.reply.verbatim(clientInfoLine(c.session, c.server) + '\n');
}

/**
 * CLIENT LIST [TYPE normal|master|replica|pubsub] | CLIENT LIST ID id
 * [id ...]: a verbatim string (RESP2: a bulk string). With IDs, the
 * connections in the order asked, once per mention; unknown IDs are left out.
 */
function clientListCommand(c: CommandContext, argv: Buffer[]): void {
  const clients = c.server.clients;
  let out = '';
  if (argv.length === 4 && isWord(argv[2]!, 'TYPE')) {
    const type = clientTypeByName(argv[3]!);
    if (type === null) return c.reply.error(`ERR Unknown client type '${argv[3]!.toString('latin1')}'`);
    for (const s of clients.values()) if (clientType(s) === type) out += clientInfoLine(s, c.server) + '\n';
    const p = c.server.replication.primaryClient();
    if (type === 'master' && p !== null) out += primaryClientLine(p) + '\n';
  } else if (argv.length > 3 && isWord(argv[2]!, 'ID')) {
    const ids: number[] = [];
    for (let j = 3; j < argv.length; j++) {
      const id = longOrReply(c, argv[j]!, 'ERR Invalid client ID');
      if (id === null) return;
      ids.push(id);
    }
    const p = c.server.replication.primaryClient();
    for (const id of ids) {
      const s = clients.get(id);
      if (s !== undefined) out += clientInfoLine(s, c.server) + '\n';
      else if (p !== null && p.id === id) out += primaryClientLine(p) + '\n';
    }
  } else if (argv.length !== 2) {
    return c.reply.error(ERR.syntax);
  } else {
    const p = c.server.replication.primaryClient();
    if (p !== null) out += primaryClientLine(p) + '\n';
    for (const s of clients.values()) out += clientInfoLine(s, c.server) + '\n';
  }
  c.reply.verbatim(out);
}

/** CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; ioredis and node-redis send it). */
function clientSetinfoCommand(c: CommandContext, argv: Buffer[]): void {
  const attr = word(argv[2]!);
  const value = argv[3]!;
  for (const b of value) {
    if (b < 33 || b > 126)
      return c.reply.error(
        `ERR ${attr === 'LIB-NAME' ? 'lib-name' : 'lib-ver'} cannot contain spaces, newlines or special characters.`,
      );
  }
  if (attr === 'LIB-NAME') c.session.libName = value.toString('latin1');
  else if (attr === 'LIB-VER') c.session.libVer = value.toString('latin1');
  else return c.reply.error(`ERR Unrecognized option '${argv[2]!.toString('latin1')}'`);
  c.reply.ok();
}

/** CLIENT KILL's filters; unset ones match every connection. */
interface KillFilter {
  addr: string | null;
  laddr: string | null;
  type: ClientType | null;
  id: number;
  /** Seconds: only connections at least this old (Redis 7.4's MAXAGE); 0 for any. */
  maxAge: number;
  skipMe: boolean;
}

/**
 * Parses CLIENT KILL's filters (`<option> <value>` pairs), replying Redis's
 * errors for the first bad one.
 *
 * @returns the filter, or null after replying
 */
function killFilterOrReply(c: CommandContext, argv: Buffer[]): KillFilter | null {
  const f: KillFilter = { addr: null, laddr: null, type: null, id: 0, maxAge: 0, skipMe: true };
  for (let i = 2; i < argv.length; i += 2) {
    const value = argv[i + 1];
    const opt = argv[i]!;
    if (value === undefined) {
      c.reply.error(ERR.syntax);
      return null;
    }
    if (isWord(opt, 'ID')) {
      const id = rangeLongOrReply(c, value, 1n, INT64_MAX, 'client-id should be greater than 0');
      if (id === null) return null;
      f.id = id;
    } else if (isWord(opt, 'MAXAGE')) {
      const age = parseInt64(value);
      if (age === null) {
        c.reply.error('ERR maxage is not an integer or out of range');
        return null;
      }
      if (age <= 0n) {
        c.reply.error('ERR maxage should be greater than 0');
        return null;
      }
      f.maxAge = Number(age);
    } else if (isWord(opt, 'TYPE')) {
      f.type = clientTypeByName(value);
      if (f.type === null) {
        c.reply.error(`ERR Unknown client type '${value.toString('latin1')}'`);
        return null;
      }
    } else if (isWord(opt, 'ADDR')) {
      f.addr = value.toString('latin1');
    } else if (isWord(opt, 'LADDR')) {
      f.laddr = value.toString('latin1');
    } else if (isWord(opt, 'USER')) {
      // The default user is the only one (no ACL users).
      if (value.toString('latin1') !== 'default') {
        c.reply.error(`ERR No such user '${value.toString('latin1')}'`);
        return null;
      }
    } else if (isWord(opt, 'SKIPME')) {
      if (isWord(value, 'YES')) f.skipMe = true;
      else if (isWord(value, 'NO')) f.skipMe = false;
      else {
        c.reply.error(ERR.syntax);
        return null;
      }
    } else {
      c.reply.error(ERR.syntax);
      return null;
    }
  }
  return f;
}

/**
 * CLIENT KILL ip:port (replies OK, or `ERR No such client`; may kill the
 * caller) | CLIENT KILL <filter> <value> ... with ID, TYPE, USER, ADDR,
 * LADDR, SKIPME (default yes) and MAXAGE (Redis 7.4's): replies how many
 * connections it closed. Others close at once; the caller after this reply.
 */
function clientKillCommand(c: CommandContext, argv: Buffer[]): void {
  let f: KillFilter | null;
  if (argv.length === 3) {
    f = { addr: argv[2]!.toString('latin1'), laddr: null, type: null, id: 0, maxAge: 0, skipMe: false };
  } else {
    f = killFilterOrReply(c, argv);
    if (f === null) return;
  }
  const nowSec = Math.floor(Date.now() / 1000);
  let killed = 0;
  let self = false;
  for (const s of [...c.server.clients.values()]) {
    if (f.addr !== null && s.addr !== f.addr) continue;
    if (f.laddr !== null && s.laddr !== f.laddr) continue;
    if (f.type !== null && clientType(s) !== f.type) continue;
    if (f.id !== 0 && s.id !== f.id) continue;
    if (s === c.session && f.skipMe) continue;
    if (f.maxAge !== 0 && nowSec - Math.floor(s.createdAt / 1000) < f.maxAge) continue;
    if (s === c.session) self = true;
    else s.destroy();
    killed++;
  }
  const p = c.server.replication.primaryClient();
  if (p !== null && (f.type === null || f.type === 'master') && (f.id === 0 || f.id === p.id)) {
    if ((f.addr === null || f.addr === p.addr) && (f.laddr === null || f.laddr === p.laddr)) {
      if (f.maxAge === 0 || nowSec - Math.floor(p.createdAt / 1000) >= f.maxAge) {
        p.kill();
        killed++;
      }
    }
  }
  if (argv.length === 3) {
    if (killed === 0) c.reply.error('ERR No such client');
    else c.reply.ok();
  } else {
    c.reply.int(killed);
  }
  if (self) c.session.closeAfterReply = true;
}

/**
 * CLIENT REPLY ON|OFF|SKIP: OFF sends no reply until ON; SKIP leaves out the
 * next command's reply. Only ON replies (+OK).
 */
function clientReplyCommand(c: CommandContext, argv: Buffer[]): void {
  const s = c.session;
  const mode = argv[2]!;
  if (isWord(mode, 'ON')) {
    s.replyOff = false;
    s.replySkip = false;
    c.reply.ok();
  } else if (isWord(mode, 'OFF')) {
    s.replyOff = true;
  } else if (isWord(mode, 'SKIP')) {
    if (!s.replyOff) s.replySkipNext = true;
  } else {
    c.reply.error(ERR.syntax);
  }
}

/** CLIENT NO-EVICT ON|OFF: a flag only (CLIENT LIST `e`): clients are never evicted here. */
function clientNoEvictCommand(c: CommandContext, argv: Buffer[]): void {
  if (isWord(argv[2]!, 'ON')) c.session.noEvict = true;
  else if (isWord(argv[2]!, 'OFF')) c.session.noEvict = false;
  else return c.reply.error(ERR.syntax);
  c.reply.ok();
}

/** Redis's error reply to a command ended by CLIENT UNBLOCK ... ERROR. */
export const UNBLOCKED = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';

/**
 * CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the wait of a client blocked on
 * keys (BLPOP and the rest of ./blocking.ts), with its timeout reply or
 * `-UNBLOCKED`; replies 1, or 0 when that client does not wait.
 */
function clientUnblockCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 4) return subcommandSyntaxError(c, argv);
  let error: string | null = null;
  if (argv.length === 4) {
    if (isWord(argv[3]!, 'ERROR')) error = UNBLOCKED;
    else if (!isWord(argv[3]!, 'TIMEOUT')) return c.reply.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  const id = longOrReply(c, argv[2]!);
  if (id === null) return;
  c.reply.int(c.server.blocking.unblock(id, error) ? 1 : 0);
}

/**
 * CLIENT PAUSE timeout [WRITE|ALL]: holds every command (ALL, the default),
 * or those that may write (WRITE), for `timeout` milliseconds; expiry and
 * eviction wait too. `timeout` is added to the clock as a 64-bit integer,
 * as Redis's `getTimeoutFromObjectOrReply` does: a sum past 2^63 wraps
 * negative and pauses nothing.
 */
function clientPauseCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 4) return subcommandSyntaxError(c, argv);
  let mode: PauseMode = 'all';
  if (argv.length === 4) {
    if (isWord(argv[3]!, 'WRITE')) mode = 'write';
    else if (!isWord(argv[3]!, 'ALL')) return c.reply.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
  }
  const ms = parseInt64(argv[2]!);
  if (ms === null) return c.reply.error('ERR timeout is not an integer or out of range');
  if (ms < 0n) return c.reply.error('ERR timeout is negative');
  let end = ms;
  if (ms > 0n) {
    end += BigInt(Date.now());
    if (end > INT64_MAX) end -= 2n ** 64n;
  }
  c.server.pause.pause(Number(end), mode);
  c.reply.ok();
}

/** CLIENT UNPAUSE */
function clientUnpauseCommand(c: CommandContext): void {
  c.server.pause.unpause();
  c.reply.ok();
}

/** CLIENT HELP: redis-server 7.0.15's text. */
function clientHelpCommand(c: CommandContext): void {
  replyHelp(c, 'CLIENT', [
    'CACHING (YES|NO)',
    '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
    'GETREDIR',
    '    Return the client ID we are redirecting to when tracking is enabled.',
    'GETNAME',
    '    Return the name of the current connection.',
    'ID',
    '    Return the ID of the current connection.',
    'INFO',
    '    Return information about the current client connection.',
    'KILL <ip:port>',
    '    Kill connection made from <ip:port>.',
    'KILL <option> <value> [<option> <value> [...]]',
    '    Kill connections. Options are:',
    '    * ADDR (<ip:port>|<unixsocket>:0)',
    '      Kill connections made from the specified address',
    '    * LADDR (<ip:port>|<unixsocket>:0)',
    '      Kill connections made to specified local address',
    '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
    '      Kill connections by type.',
    '    * USER <username>',
    '      Kill connections authenticated by <username>.',
    '    * SKIPME (YES|NO)',
    '      Skip killing current connection (default: yes).',
    'LIST [options ...]',
    '    Return information about client connections. Options:',
    '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
    '      Return clients of specified type.',
    'UNPAUSE',
    '    Stop the current client pause, resuming traffic.',
    'PAUSE <timeout> [WRITE|ALL]',
    '    Suspend all, or just write, clients for <timeout> milliseconds.',
    'REPLY (ON|OFF|SKIP)',
    '    Control the replies sent to the current connection.',
    'SETNAME <name>',
    '    Assign the name <name> to the current connection.',
    'UNBLOCK <clientid> [TIMEOUT|ERROR]',
    '    Unblock the specified blocked client.',
    'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
    '         [OPTIN] [OPTOUT] [NOLOOP]',
    '    Control server assisted client side caching.',
    'TRACKINGINFO',
    '    Report tracking status for the current connection.',
    'NO-EVICT (ON|OFF)',
    '    Protect current client connection from eviction.',
  ]);
}

/** A CLIENT subcommand's table entry; flags, since, complexity and summary as redis-server 7.0's. */
function sub(
  name: string,
  arity: number,
  admin: boolean,
  since: string,
  complexity: string,
  summary: string,
  handler: CommandSpec['handler'],
): CommandSpec {
  return command({
    name: `client|${name}`,
    arity,
    flags: admin ? ['admin', 'noscript', 'loading', 'stale'] : ['noscript', 'loading', 'stale'],
    group: 'connection',
    since,
    complexity,
    summary,
    handler,
  });
}

const O_CLIENTS = 'O(N) where N is the number of client connections';

/** CLIENT's table entry. */
export const clientCommands: CommandSpec[] = [
  container('client', 'connection', '2.4.0', 'A container for client connection commands', [
    sub('id', 2, false, '5.0.0', 'O(1)', 'Returns the client ID for the current connection', clientIdCommand),
    sub(
      'info',
      2,
      false,
      '6.2.0',
      'O(1)',
      'Returns information about the current client connection.',
      clientInfoCommand,
    ),
    sub('list', -2, true, '2.4.0', O_CLIENTS, 'Get the list of client connections', clientListCommand),
    sub('kill', -3, true, '2.4.0', O_CLIENTS, 'Kill the connection of a client', clientKillCommand),
    sub('getname', 2, false, '2.6.9', 'O(1)', 'Get the current connection name', clientGetnameCommand),
    sub('setname', 3, false, '2.6.9', 'O(1)', 'Set the current connection name', clientSetnameCommand),
    sub(
      'setinfo',
      4,
      false,
      '7.2.0',
      'O(1)',
      'Sets information specific to the client or connection.',
      clientSetinfoCommand,
    ),
    sub('pause', -3, true, '2.9.50', 'O(1)', 'Stop processing commands from clients for some time', clientPauseCommand),
    sub(
      'unpause',
      2,
      true,
      '6.2.0',
      'O(N) Where N is the number of paused clients',
      'Resume processing of clients that were paused',
      clientUnpauseCommand,
    ),
    sub('reply', 3, false, '3.2.0', 'O(1)', 'Instruct the server whether to reply to commands', clientReplyCommand),
    sub(
      'no-evict',
      3,
      true,
      '7.0.0',
      'O(1)',
      'Set client eviction mode for the current connection',
      clientNoEvictCommand,
    ),
    sub(
      'unblock',
      -3,
      true,
      '5.0.0',
      'O(log N) where N is the number of client connections',
      'Unblock a client blocked in a blocking command from a different connection',
      clientUnblockCommand,
    ),
    command({
      name: 'client|help',
      arity: 2,
      flags: ['loading', 'stale'],
      group: 'connection',
      since: '5.0.0',
      complexity: 'O(1)',
      summary: 'Show helpful text about the different subcommands',
      handler: clientHelpCommand,
    }),
    ...trackingSubcommands,
  ]),
];
