/**
 * Connection commands: PING, ECHO, AUTH, RESET, QUIT, SELECT, HELLO. CLIENT
 * is in ./client.ts.
 *
 * HELLO switches a connection between RESP2 and RESP3; every reply then
 * takes that protocol's shapes (the ReplyBuffer's typed helpers).
 *
 * Reference: https://redis.io/docs/latest/commands/?group=connection
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommandContext, CommandSpec } from './context.js';
import { REDIS_COMPAT_VERSION } from '../version.js';
import { SHARED } from '../protocol/encoder.js';
import { command } from './table.js';
import { dbIndexOrReply } from './keys.js';
import { invalidClientName } from './client.js';
import { ERR, isWord, longOrReply, parseLong } from './util.js';

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
 * RESET (networking.c `resetCommand`, `clearClientConnectionState`): the
 * connection back to how it started: out of MONITOR mode, database 0, RESP2,
 * authenticated only when no password is set, no transaction or watched
 * keys, no subscriptions, tracking off, no name, CLIENT REPLY ON (a SKIP in force still
 * leaves out this reply, as in Redis); CLIENT NO-EVICT stays. Replies `+RESET`.
 */
function resetCommand(c: CommandContext): void {
  const s = c.session;
  c.server.monitors.delete(s);
  c.select(0);
  c.reply.resp = 2;
  s.authenticated = c.server.config.get('requirepass') === '';
  c.multi = null;
  c.server.watches.unwatch(c);
  c.server.pubsub.unsubscribeAll(s);
  c.server.tracking.disable(s);
  s.name = '';
  s.replyOff = false;
  s.replySkipNext = false;
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

/** AUTH's arguments MONITOR hides (acl.c `authCommand`): the password, and the user of the two-argument form. */
function authRedacted(argv: readonly Buffer[]): number[] {
  if (argv.length === 2) return [1];
  return argv.length === 3 ? [1, 2] : [];
}

/**
 * HELLO's arguments MONITOR hides (networking.c `helloCommand`): the user and
 * password of each AUTH option read before the parse stops (a bad version, a
 * bad name or an unknown option stops it).
 */
function helloRedacted(argv: readonly Buffer[]): number[] {
  const out: number[] = [];
  if (argv.length >= 2) {
    const v = parseLong(argv[1]!);
    if (v !== 2 && v !== 3) return out;
  }
  for (let j = 2; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j]!, 'AUTH') && more >= 2) {
      out.push(j + 1, j + 2);
      j += 2;
    } else if (isWord(argv[j]!, 'SETNAME') && more >= 1 && invalidClientName(argv[j + 1]!) === null) {
      j++;
    } else {
      break;
    }
  }
  return out;
}

/** SELECT index */
function selectCommand(c: CommandContext, argv: Buffer[]): void {
  const id = dbIndexOrReply(c, argv[1]!);
  if (id === null) return;
  c.select(id);
  c.reply.ok();
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
    redact: authRedacted,
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
    redact: helloRedacted,
    handler: helloCommand,
  }),
];
