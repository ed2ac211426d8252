/**
 * A command context with no connection. WAL replay runs the logged effects in
 * one; a replica applying a stream, a transaction's queued commands and a
 * script's calls are the other runs that need a command to work without a
 * network client. Replies accumulate in {@link LocalContext.reply} for the
 * caller to read or discard.
 */
import { ReplyBuffer } from '../protocol/encoder.js';
import type { Db } from '../store/db.js';
import type { CommandContext, ServerServices, Session, Transaction } from './context.js';

/** The session of a context without a connection: always authenticated, nowhere to close. */
function detachedSession(): Session {
  return {
    id: 0,
    name: '',
    libName: '',
    libVer: '',
    authenticated: true,
    authRequired: false,
    addr: '',
    laddr: '',
    fd: -1,
    createdAt: Date.now(),
    lastInteraction: Date.now(),
    lastCommand: 'NULL',
    lastWriteLsn: 0,
    dbIndex: 0,
    resp: 2,
    queued: -1,
    queryBufferBytes: 0,
    outputBytes: 0,
    buffers: () => ({ qbuf: 0, argvMem: 0, multiMem: 0, rbs: 0, rbp: 0, obl: 0, oll: 0, omem: 0, events: '' }),
    blockedOnKeys: false,
    postponed: false,
    dirtyCas: false,
    replyOff: false,
    replySkipNext: false,
    replySkip: false,
    noEvict: false,
    replicaLink: false,
    closeAfterReply: false,
    subscriptions: { channels: new Set(), patterns: new Set(), shardChannels: new Set() },
    tracking: null,
    deliver: () => {},
    destroy: () => {},
  };
}

/** A {@link CommandContext} that belongs to no connection: it never blocks and answers into its own buffer. */
export class LocalContext implements CommandContext {
  readonly reply = new ReplyBuffer();
  readonly session: Session = detachedSession();
  canBlock = false;
  /** Never queues: nothing sends it MULTI. */
  multi: Transaction | null = null;
  db: Db;
  dbIndex = 0;

  /** @param server the services its commands use (src/commands/context.ts) */
  constructor(readonly server: ServerServices) {
    this.db = server.keyspace.dbs[0]!;
  }

  /** Selects database `index`; the caller has range-checked it. */
  select(index: number): void {
    this.dbIndex = index;
    this.db = this.server.keyspace.dbs[index]!;
  }

  /**
   * Never called: blocking commands check {@link canBlock}, and SAVE is not
   * an effect.
   *
   * @throws Error always
   */
  block(): void {
    throw new Error('a command without a connection cannot wait');
  }

  /** Nothing to resume. */
  unblock(): void {}
}
