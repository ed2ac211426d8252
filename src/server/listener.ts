/**
 * Listening and admission: the TCP and TLS listeners on every `bind`
 * address, and who gets in, in Redis's order (networking.c
 * `acceptCommonHandler`): past `maxclients` a connection gets one error and
 * is closed; in protected mode a peer that is not loopback gets Redis's
 * DENIED explanation. Admitted sockets get TCP keepalive and go to the
 * server. docs/ARCHITECTURE.md, "Connections", tells the whole story.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Stats } from '../commands/context.js';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/settings.js';
import type { Logger } from './logger.js';

/**
 * Redis 7.0's reply to a remote client in protected mode (networking.c
 * `acceptCommonHandler`), word for word, typo included, since tools match it.
 */
export const PROTECTED_MODE_DENIED =
  'DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the ' +
  'default user. In this mode connections are only accepted from the loopback interface. If you want to connect ' +
  'from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode ' +
  "sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the " +
  'same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do ' +
  'so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode ' +
  "by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting " +
  "the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' " +
  'option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the ' +
  'above things in order for the server to start accepting connections from the outside.';

/** Descriptors kept for the server's own files beside `maxclients` (Redis's `CONFIG_MIN_RESERVED_FDS`). */
const RESERVED_FDS = 32;

/** Whether a peer address is loopback (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopback(addr: string | undefined): boolean {
  if (addr === undefined) return false;
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return v4.startsWith('127.') || addr === '::1';
}

/**
 * The TLS server options from `tls-cert-file`, `tls-key-file`,
 * `tls-ca-cert-file` and `tls-auth-clients` (Redis's TLS settings,
 * https://redis.io/docs/latest/operate/oss_and_stack/management/security/encryption/).
 *
 * @throws ConfigError naming a missing or unreadable file
 */
export function tlsOptions(config: Config): TlsOptions {
  const read = (
    setting: 'tls-cert-file' | 'tls-key-file' | 'tls-ca-cert-file',
    required: boolean,
  ): Buffer | undefined => {
    const path = config.get(setting);
    if (path === '') {
      if (required) throw new ConfigError(`tls-port is set but ${setting} is not`);
      return undefined;
    }
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`cannot read ${setting} ${path}: ${(err as Error).message}`);
    }
  };
  const auth = config.get('tls-auth-clients');
  const cert = read('tls-cert-file', true);
  const key = read('tls-key-file', true);
  return {
    cert,
    key,
    ca: read('tls-ca-cert-file', auth !== 'no'),
    requestCert: auth !== 'no',
    rejectUnauthorized: auth === 'yes',
  };
}

/**
 * The soft open-files limit of the process, and `maxclients` lowered to fit
 * it (Redis's `adjustOpenFilesLimit`, with its 32 reserved descriptors). Node
 * already raises the soft limit to the hard one at start; when even that is
 * too few, the lowering is logged as a warning.
 *
 * @returns the limit (0 where /proc/self/limits cannot be read) and the clients that fit
 */
export function fitOpenFilesLimit(maxClients: number, log: Logger): { openFilesLimit: number; maxClients: number } {
  let m: RegExpExecArray | null = null;
  try {
    m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    // Not Linux: nothing to read, nothing to adjust.
  }
  if (m === null) return { openFilesLimit: 0, maxClients };
  const soft = m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  if (soft >= maxClients + RESERVED_FDS) return { openFilesLimit: soft, maxClients };
  const fit = Math.max(1, soft - RESERVED_FDS);
  log.warn(
    { maxclients: maxClients, openFilesLimit: soft, reducedTo: fit },
    `the open-files limit (${soft}) is too low for maxclients ${maxClients}; serving at most ${fit} clients. ` +
      'Raise it (ulimit -n) to serve more.',
  );
  return { openFilesLimit: soft, maxClients: fit };
}

/** What the listeners need from the server. */
export interface ListenerHost {
  readonly config: Config;
  /** The data directory, absolute (logged when listening starts). */
  readonly dir: string;
  readonly log: Logger;
  readonly stats: Stats;
  /** Connections served now, and at most (`maxclients`, possibly lowered). */
  readonly clientCount: number;
  readonly maxClients: number;
  /** Whether the server is shutting down (new sockets are dropped). */
  readonly shuttingDown: boolean;
  /** Takes an admitted socket. */
  serve(socket: Socket): void;
}

/** The listeners of one server. */
export class Listener {
  /** Port listened on (the one picked when `port` is 0). */
  port = 0;
  /** TLS port listened on; 0 when TLS is off. */
  tlsPort = 0;
  private readonly servers: NetServer[] = [];

  constructor(private readonly host: ListenerHost) {}

  /**
   * Listens on every `bind` address, on `port` and, when `tls` is given, on `tls-port`.
   *
   * @param tls the TLS listeners' options ({@link tlsOptions}), or null for no TLS port
   * @param binds the addresses, as ./preflight.ts `checkBinds` kept them (`bind` without its `-` marks)
   * @throws the listen error (EADDRINUSE...)
   */
  async listen(tls: TlsOptions | null, binds: readonly string[]): Promise<void> {
    const { config, log } = this.host;
    let port = config.get('port');
    for (const host of binds) {
      port = await this.listenOn(
        createServer({ noDelay: true }, (socket) => this.accept(socket)),
        host,
        port,
      );
    }
    this.port = port;
    if (tls !== null) {
      // node:tls loads only for a TLS port: a start without one does not need it.
      const { createServer: createTlsServer } = await import('node:tls');
      let p = config.get('tls-port');
      for (const host of binds) p = await this.listenOn(this.tlsServer(createTlsServer, tls), host, p);
      this.tlsPort = p;
    }
    log.info(
      {
        port,
        tlsPort: this.tlsPort || undefined,
        bind: binds,
        dir: this.host.dir,
        appendfsync: config.get('appendfsync'),
      },
      `ready to accept connections on ${binds.join(', ')} port ${port}` +
        (this.tlsPort ? ` and TLS port ${this.tlsPort}` : ''),
    );
  }

  /** Stops accepting connections. */
  close(): void {
    for (const s of this.servers) s.close();
  }

  /** @returns the port listened on */
  private async listenOn(srv: NetServer, host: string, port: number): Promise<number> {
    await new Promise<void>((resolveListen, reject) => {
      srv.once('error', reject);
      // `::` is IPv6 only, as in Redis, so that `bind * -::*` can take both on one port.
      srv.listen({ port, host, backlog: 511, ipv6Only: host === '::' }, () => {
        srv.off('error', reject);
        resolveListen();
      });
    });
    this.servers.push(srv);
    const addr = srv.address();
    return addr !== null && typeof addr === 'object' ? addr.port : port;
  }

  private tlsServer(createTlsServer: typeof import('node:tls').createServer, tls: TlsOptions): NetServer {
    const { config, log } = this.host;
    const optional = config.get('tls-auth-clients') === 'optional';
    const srv = createTlsServer(tls, (socket: TLSSocket) => {
      // optional: no certificate is fine, a certificate that does not verify is not.
      if (optional && !socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
        log.debug(
          { err: String(socket.authorizationError), addr: socket.remoteAddress },
          'TLS client certificate rejected',
        );
        socket.destroy();
        return;
      }
      this.accept(socket);
    });
    // A failed handshake (no or a bad client certificate) concerns that connection only.
    srv.on('tlsClientError', (err, socket) => {
      log.debug({ err: err.message, addr: socket.remoteAddress }, 'TLS handshake failed');
      socket.destroy();
    });
    return srv;
  }

  private accept(socket: Socket): void {
    const host = this.host;
    if (host.shuttingDown) {
      socket.destroy();
      return;
    }
    // networking.c acceptCommonHandler: the client limit, then protected mode.
    if (host.clientCount >= host.maxClients) {
      this.refuse(socket, 'ERR max number of clients reached');
      return;
    }
    const config = host.config;
    if (config.get('protected-mode') && config.get('requirepass') === '' && !isLoopback(socket.remoteAddress)) {
      this.refuse(socket, PROTECTED_MODE_DENIED);
      return;
    }
    const keepalive = config.get('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    host.stats.totalConnections++;
    host.serve(socket);
  }

  /**
   * Answers a connection that will not be served with one error and closes
   * it: input is read and dropped so the peer's close is seen, and the socket
   * is destroyed after a second whatever the peer does, so refused
   * connections cannot pile up and use the descriptors up.
   */
  private refuse(socket: Socket, error: string): void {
    this.host.stats.rejectedConnections++;
    socket.on('error', () => {});
    socket.end(`-${error}\r\n`);
    socket.resume();
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}
