/**
 * Connection commands: PING, ECHO, QUIT, SELECT, HELLO, CLIENT.
 *
 * HELLO switches a connection between RESP2 and RESP3; every reply then
 * takes that protocol's shapes (the ReplyBuffer's typed helpers).
 *
 * Reference: https://redis.io/docs/latest/commands/?group=connection
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommandContext, CommandSpec, Session } from './context.js';
import { REDIS_COMPAT_VERSION } from '../version.js';
import { SHARED } from '../protocol/encoder.js';
import { command, container } from './table.js';
import { dbIndexOrReply } from './keys.js';
import { trackingSubcommands } from './tracking.js';
import { ERR, isWord, longOrReply, replyHelp, word } from './util.js';

/** PING [message] */
function pingCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 2) return c.reply.error("ERR wrong number of arguments for 'ping' command");
  const subs = c.session.subscriptions;
  if (c.reply.resp === 2 && subs.channels.size + subs.patterns.size + subs.shardChannels.size > 0) {
    // A RESP2 subscriber's PING answers in the shape of a message (server.c `pingCommand`).
    c.reply.arrayLen(2);
    c.reply.bulkAscii('pong');
    return c.reply.bulk(argv[1] ?? Buffer.alloc(0));
  }
  if (argv.length === 2) c.reply.bulk(argv[1]!);
  else c.reply.raw(SHARED.pong);
}

/** ECHO message */
function echoCommand(c: CommandContext, argv: Buffer[]): void {
  c.reply.bulk(argv[1]!);
}

/**
 * RESET (networking.c `resetCommand`): the connection back to how it started:
 * database 0, RESP2, authenticated only when no password is set, no
 * transaction or watched keys, no subscriptions, no name. Replies `+RESET`.
 */
function resetCommand(c: CommandContext): void {
  const s = c.session;
  c.select(0);
  c.reply.resp = 2;
  s.authenticated = c.server.config.get('requirepass') === '';
  c.multi = null;
  c.server.watches.unwatch(c);
  c.server.pubsub.unsubscribeAll(s);
  c.server.tracking.disable(s);
  s.name = '';
  c.reply.simple('RESET');
}

/** QUIT: replies +OK, then the connection closes once every earlier reply is out. */
function quitCommand(c: CommandContext): void {
  c.reply.ok();
  c.session.closeAfterReply = true;
}

/** Redis's reply to a wrong user name or password (acl.c). */
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

/**
 * Whether `password` is `requirepass`, in time that does not depend on where
 * they differ or on their lengths (both are hashed first, as Redis's
 * `time_independent_strcmp` compares digests).
 */
function passwordMatches(password: Buffer, requirepass: string): boolean {
  const a = createHash('sha256').update(password).digest();
  const b = createHash('sha256').update(requirepass, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Checks a user name and password against the `default` user, the only one
 * (no ACL users): with no `requirepass` the default user takes any
 * password, as Redis's `nopass` user does. A failure is counted in INFO
 * stats (`acl_access_denied_auth`).
 *
 * @returns whether the client is now authenticated
 */
function authenticate(c: CommandContext, user: Buffer, password: Buffer): boolean {
  const required = c.server.config.get('requirepass');
  if (user.toString('latin1') === 'default' && (required === '' || passwordMatches(password, required))) {
    c.session.authenticated = true;
    return true;
  }
  c.server.stats.authFailures++;
  return false;
}

/**
 * AUTH [username] password (https://redis.io/docs/latest/commands/auth/).
 * Replies `-WRONGPASS ...` on a mismatch; with one argument and no
 * `requirepass`, Redis's `ERR AUTH <password> called without any password
 * configured ...`.
 */
function authCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) return c.reply.error(ERR.syntax);
  if (argv.length === 2 && c.server.config.get('requirepass') === '') {
    return c.reply.error(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your ' +
        'configuration is correct?',
    );
  }
  const user = argv.length === 3 ? argv[1]! : Buffer.from('default');
  if (authenticate(c, user, argv[argv.length - 1]!)) c.reply.ok();
  else c.reply.error(WRONGPASS);
}

/** SELECT index */
function selectCommand(c: CommandContext, argv: Buffer[]): void {
  const id = dbIndexOrReply(c, argv[1]!);
  if (id === null) return;
  c.select(id);
  c.reply.ok();
}

/**
 * Checks a client name as Redis's `validateClientName` does.
 *
 * @returns an error text, or null when the name is acceptable
 */
function invalidClientName(name: Buffer): string | null {
  for (const b of name) {
    if (b < 33 || b > 126) return 'ERR Client names cannot contain spaces, newlines or special characters.';
  }
  return null;
}

/**
 * HELLO [protover [AUTH username password] [SETNAME clientname]]: switches the
 * connection to RESP2 or RESP3 and answers a map describing the server
 * (https://redis.io/docs/latest/commands/hello/).
 */
function helloCommand(c: CommandContext, argv: Buffer[]): void {
  let j = 1;
  let ver: 2 | 3 | null = null;
  if (argv.length >= 2) {
    const v = longOrReply(c, argv[1]!, 'ERR Protocol version is not an integer or out of range');
    if (v === null) return;
    if (v !== 2 && v !== 3) return c.reply.error('NOPROTO unsupported protocol version');
    ver = v;
    j = 2;
  }
  let name: Buffer | null = null;
  let auth: [Buffer, Buffer] | null = null;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j]!, 'AUTH') && more >= 2) {
      auth = [argv[j + 1]!, argv[j + 2]!];
      j += 2;
    } else if (isWord(argv[j]!, 'SETNAME') && more >= 1) {
      name = argv[++j]!;
      const err = invalidClientName(name);
      if (err !== null) return c.reply.error(err);
    } else {
      return c.reply.error(`ERR Syntax error in HELLO option '${argv[j]!.toString('latin1')}'`);
    }
  }
  if (auth !== null && !authenticate(c, auth[0], auth[1])) return c.reply.error(WRONGPASS);
  if (c.session.authRequired) {
    return c.reply.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> ' +
        'option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (name !== null) c.session.name = name.toString('latin1');
  // The reply is already in the protocol asked for, as Redis switches before answering.
  if (ver !== null) c.reply.resp = ver;
  c.reply.mapLen(7);
  c.reply.bulkAscii('server');
  c.reply.bulkAscii('redis');
  c.reply.bulkAscii('version');
  c.reply.bulkAscii(REDIS_COMPAT_VERSION);
  c.reply.bulkAscii('proto');
  c.reply.int(c.reply.resp);
  c.reply.bulkAscii('id');
  c.reply.int(c.session.id);
  c.reply.bulkAscii('mode');
  c.reply.bulkAscii('standalone');
  c.reply.bulkAscii('role');
  c.reply.bulkAscii('master');
  c.reply.bulkAscii('modules');
  c.reply.arrayLen(0);
}

/** One CLIENT LIST line (networking.c `catClientInfoString`), without the newline. */
export function clientInfoLine(s: Session): string {
  const now = Date.now();
  const qbuf = s.queryBufferBytes;
  const omem = s.outputBytes;
  const subs = s.subscriptions;
  let flags = '';
  if (subs.channels.size + subs.patterns.size + subs.shardChannels.size > 0) flags += 'P';
  if (s.queued >= 0) flags += 'x';
  if (s.blockedOnKeys) flags += 'b';
  const t = s.tracking;
  if (t !== null) flags += `t${t.brokenRedirect ? 'R' : ''}${t.bcast ? 'B' : ''}`;
  if (s.closeAfterReply) flags += 'c';
  return (
    `id=${s.id} addr=${s.addr} laddr=${s.laddr} fd=${s.fd} ` +
    `name=${s.name} age=${Math.floor((now - s.createdAt) / 1000)} ` +
    `idle=${Math.floor((now - s.lastInteraction) / 1000)} ` +
    `flags=${flags || 'N'} db=${s.dbIndex} sub=${subs.channels.size} psub=${subs.patterns.size} ` +
    `ssub=${subs.shardChannels.size} multi=${s.queued} qbuf=${qbuf} qbuf-free=0 ` +
    `argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=${omem} tot-mem=${qbuf + omem} events=r ` +
    `cmd=${s.lastCommand} user=default redir=${t?.redirect ?? -1} resp=${s.resp} ` +
    `lib-name=${s.libName} lib-ver=${s.libVer}`
  );
}

function clientIdCommand(c: CommandContext): void {
  c.reply.int(c.session.id);
}

function clientSetnameCommand(c: CommandContext, argv: Buffer[]): void {
  const err = invalidClientName(argv[2]!);
  if (err !== null) return c.reply.error(err);
  c.session.name = argv[2]!.toString('latin1');
  c.reply.ok();
}

function clientGetnameCommand(c: CommandContext): void {
  if (c.session.name === '') c.reply.nullBulk();
  else c.reply.bulkString(c.session.name);
}

/** CLIENT INFO: a verbatim string (RESP2: a bulk string), as networking.c `clientCommand`. */
function clientInfoCommand(c: CommandContext): void {
  c.reply.verbatim(clientInfoLine(c.session) + '\n');
}

/**
 * CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]]: a
 * verbatim string (RESP2: a bulk string), as networking.c `clientCommand`.
 */
function clientListCommand(c: CommandContext, argv: Buffer[]): void {
  let ids: Set<number> | null = null;
  let typeFilter: string | null = null;
  for (let j = 2; j < argv.length; j++) {
    if (isWord(argv[j]!, 'TYPE') && j + 1 < argv.length) {
      typeFilter = word(argv[++j]!).toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(typeFilter)) {
        return c.reply.error(`ERR Unknown client type '${argv[j]!.toString('latin1')}'`);
      }
    } else if (isWord(argv[j]!, 'ID') && j + 1 < argv.length) {
      ids = new Set();
      for (j++; j < argv.length; j++) {
        const id = longOrReply(c, argv[j]!, 'ERR Invalid client ID');
        if (id === null) return;
        ids.add(id);
      }
    } else {
      return c.reply.error(ERR.syntax);
    }
  }
  let out = '';
  for (const other of c.server.clients.values()) {
    if (ids !== null && !ids.has(other.id)) continue;
    if (typeFilter !== null && typeFilter !== 'normal') continue;
    out += clientInfoLine(other) + '\n';
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

/** CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [SKIPME yes|no] */
function clientKillCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length === 3) {
    const addr = argv[2]!.toString('latin1');
    for (const other of c.server.clients.values()) {
      if (other.addr === addr) {
        killClient(c, other);
        return c.reply.ok();
      }
    }
    return c.reply.error('ERR No such client');
  }
  let id: number | null = null;
  let addr: string | null = null;
  let skipMe = true;
  for (let j = 2; j < argv.length; j += 2) {
    if (j + 1 >= argv.length) return c.reply.error(ERR.syntax);
    const opt = word(argv[j]!);
    const val = argv[j + 1]!;
    if (opt === 'ID') {
      id = longOrReply(c, val, 'ERR client-id should be greater than 0');
      if (id === null) return;
    } else if (opt === 'ADDR') addr = val.toString('latin1');
    else if (opt === 'SKIPME') skipMe = !isWord(val, 'NO');
    else return c.reply.error(ERR.syntax);
  }
  let killed = 0;
  for (const other of [...c.server.clients.values()]) {
    if (id !== null && other.id !== id) continue;
    if (addr !== null && other.addr !== addr) continue;
    if (skipMe && other === c.session) continue;
    killClient(c, other);
    killed++;
  }
  c.reply.int(killed);
}

function killClient(self: CommandContext, other: Session): void {
  if (other === self.session) self.session.closeAfterReply = true;
  else other.destroy();
}

function clientHelpCommand(c: CommandContext): void {
  replyHelp(c, 'CLIENT', [
    'GETNAME',
    '    Return the name of the current connection.',
    'ID',
    '    Return the ID of the current connection.',
    'INFO',
    '    Return information about the current client connection.',
    'KILL <ip:port> | KILL [ID <id>] [ADDR <ip:port>] [SKIPME yes|no]',
    '    Kill connections.',
    'LIST [TYPE normal] [ID <id> [<id> ...]]',
    '    Return information about client connections.',
    'SETINFO <LIB-NAME|LIB-VER> <value>',
    '    Set client library name or version.',
    'SETNAME <name>',
    '    Assign the name <name> to the current connection.',
  ]);
}

const sub = (
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  summary: string,
  handler: CommandSpec['handler'],
): CommandSpec =>
  command({
    name: `client|${name}`,
    arity: arity,
    flags: flags,
    group: 'connection',
    since: '2.4.0',
    complexity: 'O(1)',
    summary: summary,
    handler: handler,
  });

/** The connection family's table entries. */
export const connectionCommands: CommandSpec[] = [
  command({
    name: 'ping',
    arity: -1,
    flags: ['fast', 'sentinel'],
    group: 'connection',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: "Returns the server's liveliness response.",
    handler: pingCommand,
  }),
  command({
    name: 'echo',
    arity: 2,
    flags: ['fast', 'stale', 'loading'],
    group: 'connection',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Returns the given string.',
    handler: echoCommand,
  }),
  command({
    name: 'auth',
    arity: -2,
    flags: ['no_auth', 'noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    group: 'connection',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of passwords defined for the user',
    summary: 'Authenticates the connection.',
    handler: authCommand,
  }),
  command({
    name: 'reset',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    group: 'connection',
    since: '6.2.0',
    complexity: 'O(1)',
    summary: 'Reset the connection',
    handler: resetCommand,
  }),
  command({
    name: 'quit',
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    group: 'connection',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Closes the connection.',
    handler: quitCommand,
  }),
  command({
    name: 'select',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    group: 'connection',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Changes the selected database.',
    handler: selectCommand,
  }),
  command({
    name: 'hello',
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'sentinel', 'allow_busy'],
    group: 'connection',
    since: '6.0.0',
    complexity: 'O(1)',
    summary: 'Handshakes with the Redis server.',
    handler: helloCommand,
  }),
  container('client', 'connection', '2.4.0', 'A container for client connection commands.', [
    sub('id', 2, ['noscript', 'loading', 'stale'], 'Returns the unique client ID of the connection.', clientIdCommand),
    sub('setname', 3, ['noscript', 'loading', 'stale'], 'Sets the connection name.', clientSetnameCommand),
    sub('getname', 2, ['noscript', 'loading', 'stale'], 'Returns the name of the connection.', clientGetnameCommand),
    sub('info', 2, ['noscript', 'loading', 'stale'], 'Returns information about the connection.', clientInfoCommand),
    sub('list', -2, ['admin', 'noscript', 'loading', 'stale'], 'Lists open connections.', clientListCommand),
    sub(
      'setinfo',
      4,
      ['noscript', 'loading', 'stale'],
      'Sets information specific to the client or connection.',
      clientSetinfoCommand,
    ),
    sub('kill', -3, ['admin', 'noscript', 'loading', 'stale'], 'Terminates open connections.', clientKillCommand),
    sub('help', 2, ['loading', 'stale'], 'Returns helpful text about the different subcommands.', clientHelpCommand),
    ...trackingSubcommands,
  ]),
];
