/**
 * `metrics-port`'s listener as the server holds it. The listener itself
 * (./metrics-http.ts: node:http, prom-client's registry, the dashboard) is
 * loaded only when `metrics-port` is set, which is fixed at start: a server
 * without it loads none of that (bench/RESULTS.md, "Start-up").
 */
import type { HttpHost, MetricsHttp } from './metrics-http.js';

/** A WAL sync observer: event name, duration (ms), records the sync made durable. */
type SyncObserver = (event: string, ms: number, records: number) => void;

/** `metrics-port`'s listener: nothing at all while the port is 0. */
export class HttpListener {
  private loading: Promise<MetricsHttp> | null = null;
  private running: MetricsHttp | null = null;
  /** Syncs observed before the listener has loaded: [ms, records], handed to its histograms when it has. */
  private early: Array<[number, number]> = [];

  constructor(private readonly host: HttpHost) {}

  /**
   * A WAL sync observer: the latency monitor's `latency`, plus the sync
   * histograms when `metrics-port` is set (fixed at start); nothing more per
   * sync when nobody can scrape them. With the port set it starts loading the
   * listener.
   */
  syncObserver(latency: (event: string, ms: number) => void): SyncObserver {
    if (this.host.config.get('metrics-port') === 0) return latency;
    this.load();
    return (event, ms, records) => {
      latency(event, ms);
      if (this.running !== null) this.running.metrics.observeSync(ms, records);
      else this.early.push([ms, records]);
    };
  }

  /**
   * Listens on `metrics-port` at the addresses the server listens on; nothing when the port is 0.
   *
   * @param binds the `bind` addresses found usable at start-up (optional `-` ones left out when absent)
   * @throws the listen error (address in use...), which stops start-up
   */
  async listen(binds: readonly string[]): Promise<void> {
    if (this.host.config.get('metrics-port') === 0) return;
    await (await this.load()).listen(binds);
  }

  /** Stops listening and ends the event streams. */
  close(): void {
    this.running?.close();
  }

  private load(): Promise<MetricsHttp> {
    this.loading ??= import('./metrics-http.js').then((m) => {
      const running = new m.MetricsHttp(this.host);
      for (const [ms, records] of this.early) running.metrics.observeSync(ms, records);
      this.early = [];
      this.running = running;
      return running;
    });
    return this.loading;
  }
}
