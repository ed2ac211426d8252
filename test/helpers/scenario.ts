/**
 * Differential scenarios with several connections: the same steps run
 * against FlashCache and redis-server at once, each returning a transcript
 * (replies, normalized where values differ by nature) for the test to compare.
 */
import type { Pair } from './differential.js';
import { parseReply, type Value } from './differential.js';
import { encodeCommand, RawClient } from './resp.js';
import { waitFor } from './server.js';

/** What a scenario gets for one server. */
export interface Side {
  /** The server's port. */
  port: number;
  /** Opens a raw connection, closed when the scenario ends. */
  open(): Promise<RawClient>;
  /** Runs one command on `c` and parses its reply. */
  call(c: RawClient, ...args: string[]): Promise<Value>;
  /** Sends one command on `c` without reading its reply. */
  send(c: RawClient, ...args: string[]): void;
  /** Waits until INFO's `blocked_clients` on connection `c` is `n` (clients paused count too). */
  blockedClients(c: RawClient, n: number): Promise<void>;
  /** CLIENT LIST as records of its fields, by client name. */
  clients(c: RawClient, ...filter: string[]): Promise<Map<string, Record<string, string>>>;
}

/** Parses CLIENT LIST or CLIENT INFO text into one record of fields per line. */
export function clientRecords(text: string): Record<string, string>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((line) =>
      Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
    );
}

/**
 * Runs `scenario` against both servers of `pair` at once, and returns
 * FlashCache's result, then redis-server's.
 */
export async function onBoth<T>(pair: Pair, scenario: (s: Side) => Promise<T>): Promise<[T, T]> {
  const run = async (port: number): Promise<T> => {
    const opened: RawClient[] = [];
    const side: Side = {
      port,
      async open() {
        const c = await RawClient.connect(port);
        opened.push(c);
        return c;
      },
      async call(c, ...args) {
        const r = await c.call(...args);
        if (r === null) throw new Error(`connection closed before replying to ${args.join(' ')}`);
        return parseReply(r);
      },
      send(c, ...args) {
        c.write(encodeCommand(args));
      },
      async blockedClients(c, n) {
        await waitFor(
          async () => new RegExp(`blocked_clients:${n}\\r`).test(String(await side.call(c, 'INFO', 'clients'))),
          10_000,
          `blocked_clients:${n} on port ${port}`,
        );
      },
      async clients(c, ...filter) {
        const text = String(await side.call(c, 'CLIENT', 'LIST', ...filter));
        return new Map(clientRecords(text).map((r) => [r.name!, r]));
      },
    };
    try {
      return await scenario(side);
    } finally {
      for (const c of opened) c.close();
    }
  };
  return Promise.all([run(pair.fc.port), run(pair.redis.port)]);
}
