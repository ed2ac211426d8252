/**
 * Connection commands: PING, ECHO, QUIT, SELECT, HELLO, CLIENT.
 *
 * FlashCache speaks RESP2; HELLO 3 is answered `-NOPROTO`, which every client
 * library treats as "stay on RESP2".
 *
 * Reference: https://redis.io/docs/latest/commands/?group=connection
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Client } from '../server/client.js';
import { REDIS_COMPAT_VERSION } from '../version.js';
import { SHARED } from '../protocol/encoder.js';
import { cmd, container, type CommandSpec } from './table.js';
import { dbIndexOrReply } from './keys.js';
import { ERR, isWord, longOrReply, word } from './util.js';

/** PING [message] */
function pingCommand(c: Client, argv: Buffer[]): void {
  if (argv.length > 2) return c.reply.error("ERR wrong number of arguments for 'ping' command");
  if (argv.length === 2) c.reply.bulk(argv[1]!);
  else c.reply.raw(SHARED.pong);
}

/** ECHO message */
function echoCommand(c: Client, argv: Buffer[]): void {
  c.reply.bulk(argv[1]!);
}

/** QUIT: replies +OK, then the connection closes once every earlier reply is out. */
function quitCommand(c: Client): void {
  c.reply.ok();
  c.closeAfterReply = true;
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
function authenticate(c: Client, user: Buffer, password: Buffer): boolean {
  const required = c.server.config.get('requirepass');
  if (user.toString('latin1') === 'default' && (required === '' || passwordMatches(password, required))) {
    c.authenticated = true;
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
function authCommand(c: Client, argv: Buffer[]): void {
  if (argv.length > 3) return c.reply.error(ERR.syntax);
  if (argv.length === 2 && c.server.config.get('requirepass') === '') {
    return c.reply.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  const user = argv.length === 3 ? argv[1]! : Buffer.from('default');
  if (authenticate(c, user, argv[argv.length - 1]!)) c.reply.ok();
  else c.reply.error(WRONGPASS);
}

/** SELECT index */
function selectCommand(c: Client, argv: Buffer[]): void {
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

/** HELLO [protover [AUTH username password] [SETNAME clientname]] */
function helloCommand(c: Client, argv: Buffer[]): void {
  let j = 1;
  if (argv.length >= 2) {
    const ver = longOrReply(c, argv[1]!, 'ERR Protocol version is not an integer or out of range');
    if (ver === null) return;
    if (ver !== 2) return c.reply.error('NOPROTO unsupported protocol version');
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
  if (c.authRequired) {
    return c.reply.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (name !== null) c.name = name.toString('latin1');
  c.reply.arrayLen(14);
  c.reply.bulkAscii('server');
  c.reply.bulkAscii('redis');
  c.reply.bulkAscii('version');
  c.reply.bulkAscii(REDIS_COMPAT_VERSION);
  c.reply.bulkAscii('proto');
  c.reply.int(2);
  c.reply.bulkAscii('id');
  c.reply.int(c.id);
  c.reply.bulkAscii('mode');
  c.reply.bulkAscii('standalone');
  c.reply.bulkAscii('role');
  c.reply.bulkAscii('master');
  c.reply.bulkAscii('modules');
  c.reply.arrayLen(0);
}

/** One CLIENT LIST line (networking.c `catClientInfoString`), without the newline. */
export function clientInfoLine(c: Client): string {
  const now = Date.now();
  const qbuf = c.queryBufferBytes;
  const omem = c.outputBytes;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${(c.socket as unknown as { _handle?: { fd?: number } })?._handle?.fd ?? -1} ` +
    `name=${c.name} age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} ` +
    `flags=${c.server.blocking.has(c) ? 'b' : 'N'} db=${c.dbIndex} sub=0 psub=0 ssub=0 multi=-1 qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 ` +
    `rbs=0 rbp=0 obl=0 oll=0 omem=${omem} tot-mem=${qbuf + omem} events=r cmd=${c.lastCommand} user=default ` +
    `redir=-1 resp=2 lib-name=${c.libName} lib-ver=${c.libVer}`
  );
}

function clientIdCommand(c: Client): void {
  c.reply.int(c.id);
}

function clientSetnameCommand(c: Client, argv: Buffer[]): void {
  const err = invalidClientName(argv[2]!);
  if (err !== null) return c.reply.error(err);
  c.name = argv[2]!.toString('latin1');
  c.reply.ok();
}

function clientGetnameCommand(c: Client): void {
  if (c.name === '') c.reply.nullBulk();
  else c.reply.bulkString(c.name);
}

function clientInfoCommand(c: Client): void {
  c.reply.bulkString(clientInfoLine(c) + '\n');
}

/** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]] */
function clientListCommand(c: Client, argv: Buffer[]): void {
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
  c.reply.bulkString(out);
}

/** CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; ioredis and node-redis send it). */
function clientSetinfoCommand(c: Client, argv: Buffer[]): void {
  const attr = word(argv[2]!);
  const value = argv[3]!;
  for (const b of value) {
    if (b < 33 || b > 126) return c.reply.error(`ERR ${attr === 'LIB-NAME' ? 'lib-name' : 'lib-ver'} cannot contain spaces, newlines or special characters.`);
  }
  if (attr === 'LIB-NAME') c.libName = value.toString('latin1');
  else if (attr === 'LIB-VER') c.libVer = value.toString('latin1');
  else return c.reply.error(`ERR Unrecognized option '${argv[2]!.toString('latin1')}'`);
  c.reply.ok();
}

/** CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [SKIPME yes|no] */
function clientKillCommand(c: Client, argv: Buffer[]): void {
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
    if (skipMe && other === c) continue;
    killClient(c, other);
    killed++;
  }
  c.reply.int(killed);
}

function killClient(self: Client, other: Client): void {
  if (other === self) self.closeAfterReply = true;
  else other.destroy();
}

function clientHelpCommand(c: Client): void {
  c.reply.bulkArray(
    [
      'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
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
      'HELP',
      '    Print this help.',
    ].map((s) => Buffer.from(s)),
  );
}

const sub = (name: string, arity: number, flags: CommandSpec['flags'], summary: string, handler: CommandSpec['handler']): CommandSpec =>
  cmd(`client|${name}`, arity, flags, null, 'connection', '2.4.0', 'O(1)', summary, handler);

/** The connection family's table entries. */
export const connectionCommands: CommandSpec[] = [
  cmd('ping', -1, ['fast', 'stale', 'loading'], null, 'connection', '1.0.0', 'O(1)', 'Returns the server\'s liveliness response.', pingCommand),
  cmd('echo', 2, ['fast', 'stale', 'loading'], null, 'connection', '1.0.0', 'O(1)', 'Returns the given string.', echoCommand),
  cmd('auth', -2, ['no_auth', 'noscript', 'loading', 'stale', 'fast', 'allow_busy'], null, 'connection', '1.0.0', 'O(N) where N is the number of passwords defined for the user', 'Authenticates the connection.', authCommand),
  cmd('quit', -1, ['no_auth', 'fast', 'stale', 'loading', 'allow_busy'], null, 'connection', '1.0.0', 'O(1)', 'Closes the connection.', quitCommand),
  cmd('select', 2, ['loading', 'stale', 'fast'], null, 'connection', '1.0.0', 'O(1)', 'Changes the selected database.', selectCommand),
  cmd('hello', -1, ['no_auth', 'fast', 'stale', 'loading', 'allow_busy'], null, 'connection', '6.0.0', 'O(1)', 'Handshakes with the Redis server.', helloCommand),
  container('client', 'connection', '2.4.0', 'A container for client connection commands.', [
    sub('id', 2, ['loading', 'stale'], 'Returns the unique client ID of the connection.', clientIdCommand),
    sub('setname', 3, ['loading', 'stale'], 'Sets the connection name.', clientSetnameCommand),
    sub('getname', 2, ['loading', 'stale'], 'Returns the name of the connection.', clientGetnameCommand),
    sub('info', 2, ['loading', 'stale'], 'Returns information about the connection.', clientInfoCommand),
    sub('list', -2, ['admin', 'loading', 'stale'], 'Lists open connections.', clientListCommand),
    sub('setinfo', 4, ['loading', 'stale'], 'Sets information specific to the client or connection.', clientSetinfoCommand),
    sub('kill', -3, ['admin', 'loading', 'stale'], 'Terminates open connections.', clientKillCommand),
    sub('help', 2, ['loading', 'stale'], 'Returns helpful text about the different subcommands.', clientHelpCommand),
  ]),
];
