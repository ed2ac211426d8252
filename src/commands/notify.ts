/**
 * Keyspace and keyevent notifications, after Redis 7.0's notify.c: a command
 * that changes a key fires an event (`c.server.notify(NOTIFY_STRING, 'set',
 * key, db)`, where Redis's command calls `notifyKeyspaceEvent`), published
 * through pub/sub on `__keyspace@<db>__:<key>` (message: the event) and
 * `__keyevent@<db>__:<event>` (message: the key), as `notify-keyspace-events`
 * selects (src/config/keyspace-events.ts).
 *
 * Durability: a notification tells that a key changed, so, like a reply, it
 * must not reach anyone before the change is durable. Events wait in the
 * {@link Outbox} while the command runs; once it has run and its effects are
 * in the WAL (inside EXEC: once the transaction's record is), the server
 * sends them tagged with the WAL's tail, and each subscriber receives them
 * when that record is releasable, in order with its other replies. An
 * expired or evicted key's event waits for its logged DEL the same way.
 * A subscriber receives the events of its own commands after their replies
 * (Redis 7.0 writes them before).
 *
 * Reference: https://redis.io/docs/latest/develop/use/keyspace-notifications/
 */
import { NOTIFY_KEY_MISS, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE } from '../config/keyspace-events.js';
import type { CommandContext, PubSubRegistry } from './context.js';

/**
 * A read found no value at `key`: counted in INFO `keyspace_misses` and
 * fired as the `keymiss` event (db.c `lookupKey` for reads).
 */
export function keyMiss(c: CommandContext, key: Uint8Array): void {
  c.server.stats.keyspaceMisses++;
  c.server.notify(NOTIFY_KEY_MISS, 'keymiss', key, c.dbIndex);
}

/**
 * Out-of-band messages that a command's changes cause (keyspace events,
 * client-side caching invalidations), held until the command has run and
 * its effects are logged, then sent in the order they were added, each
 * given the LSN its delivery waits for.
 */
export class Outbox {
  private items: ((tag: number) => void)[] = [];
  private lateFlush = false;

  /**
   * @param tag the LSN messages sent now must wait for (the server's reply tag: the WAL's tail under `always`)
   */
  constructor(private readonly tag: () => number) {}

  /** Messages waiting. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Holds `send` until the next {@link flush}. The server flushes after
   * every command, eviction and cron step; a message added anywhere else is
   * sent at the end of the current task at the latest.
   *
   * @param send delivers the message, tagged with the LSN it is given
   */
  add(send: (tag: number) => void): void {
    this.items.push(send);
    if (!this.lateFlush) {
      this.lateFlush = true;
      queueMicrotask(() => {
        this.lateFlush = false;
        this.flush();
      });
    }
  }

  /** Sends every held message, tagged with the current reply tag. */
  flush(): void {
    if (this.items.length === 0) return;
    const tag = this.tag();
    // Sending may add more (an invalidation to a redirect client that went away): send those too.
    while (this.items.length > 0) {
      const items = this.items;
      this.items = [];
      for (const send of items) send(tag);
    }
  }
}

/** The keyspace events of one server. */
export class KeyspaceEvents {
  /**
   * The classes that publish: `notify-keyspace-events`'s bits when it
   * names K or E, else 0, so that a disabled class costs one test.
   */
  flags = 0;

  /**
   * @param pubsub where events are published
   * @param outbox where they wait for their command's effects
   */
  constructor(
    private readonly pubsub: PubSubRegistry,
    private readonly outbox: Outbox,
  ) {}

  /** Applies `notify-keyspace-events` as class bits (src/config/keyspace-events.ts `parseKeyspaceEvents`). */
  setClasses(bits: number): void {
    this.flags = (bits & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) !== 0 ? bits : 0;
  }

  /**
   * Holds the messages of one event in the outbox (notify.c
   * `notifyKeyspaceEvent`; the caller checked its class against {@link flags}).
   */
  fire(event: string, key: Uint8Array, db: number): void {
    const keyCopy = Buffer.from(key);
    const eventBuf = Buffer.from(event, 'latin1');
    const pubsub = this.pubsub;
    if (this.flags & NOTIFY_KEYSPACE) {
      const channel = Buffer.concat([Buffer.from(`__keyspace@${db}__:`, 'latin1'), keyCopy]);
      this.outbox.add((tag) => pubsub.publish('channel', channel, eventBuf, tag));
    }
    if (this.flags & NOTIFY_KEYEVENT) {
      const channel = Buffer.from(`__keyevent@${db}__:${event}`, 'latin1');
      this.outbox.add((tag) => pubsub.publish('channel', channel, keyCopy, tag));
    }
  }
}
