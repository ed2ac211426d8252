/**
 * The cluster bus: a TCP port of its own (`cluster-port`, by default the
 * client port + 10000) over which nodes exchange FlashCache's messages
 * (./gossip.ts `BusMessage`). Each message is framed as a 4-byte big-endian
 * length, then a msgpackr payload; TCP's own checksum guards the bytes, so
 * frames carry none. As in Redis (cluster.c `clusterLink`), every node
 * opens one link to each node it knows and sends its PINGs there; the other
 * end answers PONGs on the same link.
 */
import { createServer, type Server as NetServer, type Socket, connect } from 'node:net';
import { Packr } from 'msgpackr';
import type { LinkInfo } from './node.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });

/** A frame larger than this closes the link (a bus message is a few KiB). */
const MAX_FRAME = 16 * 1024 * 1024;

/** One bus connection, either direction. */
export class Link implements LinkInfo {
  readonly createdAt = Date.now();
  /** Unix ms of the last bytes received. */
  lastData = Date.now();
  private buf: Buffer = Buffer.alloc(0);
  private closed = false;
  /** Called for each message received. */
  onMessage: (msg: unknown, link: Link) => void = () => {};
  /** Called once when the connection closes or fails. */
  onClose: (link: Link) => void = () => {};

  /**
   * @param outbound whether this node opened it (CLUSTER LINKS `direction` `to`)
   */
  constructor(
    readonly socket: Socket,
    readonly outbound: boolean,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** CLUSTER LINKS `events`: `r` while reading, `w` while output waits. */
  get events(): string {
    return this.socket.writableLength > 0 ? 'rw' : 'r';
  }

  get sendBufferUsed(): number {
    return this.socket.writableLength;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one message. */
  send(msg: object): void {
    if (this.closed) return;
    const body = packr.pack(msg);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    this.socket.write(Buffer.concat([head, body]));
  }

  /** Closes the connection (once); {@link onClose} runs. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(this);
  }

  private receive(chunk: Buffer): void {
    this.lastData = Date.now();
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 4 && !this.closed) {
      const len = this.buf.readUInt32BE(0);
      if (len > MAX_FRAME) return this.close();
      if (this.buf.length < 4 + len) return;
      const body = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      let msg: unknown;
      try {
        msg = packr.unpack(body);
      } catch {
        return this.close();
      }
      this.onMessage(msg, this);
    }
  }
}

/** The bus's listening socket. */
export class BusListener {
  private server: NetServer | null = null;

  /**
   * Listens on `port` on every address of `binds`' first entry.
   *
   * @param accept called with each inbound link
   * @throws the listen error (port in use)
   */
  async listen(host: string, port: number, accept: (link: Link) => void): Promise<void> {
    const server = createServer((socket) => accept(new Link(socket, false)));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops listening. */
  close(): void {
    this.server?.close();
    this.server = null;
  }
}

/** Opens an outbound link to `ip:port`; the link closes itself if the connection fails. */
export function connectLink(ip: string, port: number): Link {
  const socket = connect({ host: ip, port });
  socket.setTimeout(0);
  return new Link(socket, true);
}
