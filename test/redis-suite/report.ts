/**
 * The report of a suite run: per unit, FlashCache's and redis-server's
 * passed and run tests side by side as a Markdown table, and the tests that
 * pass on redis-server but not on FlashCache. With `--same-commands`, a
 * third run per unit against redis-server restricted to FlashCache's
 * top-level commands separates the commands FlashCache lacks from the ones
 * it gets wrong.
 */
import type { Environment } from '../../bench/lib.js';
import type { UnitRun } from './harness.js';

/** One unit run against both servers (and, with `--same-commands`, the third). */
export interface UnitPair {
  unit: string;
  flashcache: UnitRun;
  redis: UnitRun;
  /** The run against redis-server without the commands FlashCache lacks (`--same-commands`). */
  sameCommands?: UnitRun;
  /** Exit code of a server that was no longer running when its unit ended (null: it was). */
  serverExit: { flashcache: number | null; redis: number | null; sameCommands?: number | null };
}

/** What `--json` writes. */
export interface SuiteResults {
  environment: Environment;
  /** The command line, as the user would type it. */
  command: string;
  /** The harness arguments every unit ran with. */
  harnessArgs: string[];
  /**
   * Server arguments besides port, bind and dir: FlashCache's, redis-server's
   * and, with `--same-commands`, the restricted redis-server's.
   */
  serverArgs: { flashcache: string[]; redis: string[]; sameCommands?: string[] };
  /** With `--same-commands`: the top-level commands taken from the third server, sorted. */
  removedCommands?: string[];
  /** Where the raw logs are. */
  logs: string;
  units: UnitPair[];
}

/** Tests passed and run (passed or failed) in a unit's run. */
export function counts(r: UnitRun): { ok: number; err: number; run: number } {
  const ok = r.tests.filter((t) => t.status === 'ok').length;
  return { ok, err: r.tests.length - ok, run: r.tests.length };
}

/** The first line of a message, cut to `max` characters, with Markdown's pipes escaped. */
function short(s: string, max = 100): string {
  const line = (s.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  const cut = line.length > max ? `${line.slice(0, max - 3)}...` : line;
  return cut.replace(/\|/g, '\\|').replace(/`/g, "'");
}

/** How a run ended, in a few words; empty when it completed without a server exit or errors outside tests. */
export function outcomeNote(r: UnitRun, serverExit: number | null): string {
  const notes: string[] = [];
  const n = r.tests.length;
  const reached = `after ${n} test${n === 1 ? '' : 's'}`;
  if (r.outcome === 'exception')
    notes.push(`aborted ${reached}: \`${short((r.exception ?? '').replace(/^Executing test client: /, ''))}\``);
  else if (r.outcome === 'timeout') notes.push(`killed at the runner's timeout ${reached}`);
  else if (r.outcome === 'harness-timeout') notes.push(`harness timeout ${reached}`);
  else if (r.outcome === 'harness-exit') notes.push(`harness exited (${r.exitCode}) ${reached}`);
  if (serverExit !== null) notes.push(`server exited (${serverExit})`);
  if (r.blockErrors.length > 0) {
    const e = r.blockErrors.length;
    notes.push(
      `${e} error${e === 1 ? '' : 's'} outside a test, rest of block skipped: \`${short(r.blockErrors[0]!)}\``,
    );
  }
  return notes.join('; ');
}

/** How the report names the third server: redis-server without the top-level commands FlashCache lacks. */
export const SAME_COMMANDS = "redis-server with FlashCache's commands";

/**
 * A unit's run against the third server.
 *
 * @throws Error when the unit did not run against it
 */
function thirdRun(u: UnitPair): UnitRun {
  if (u.sameCommands === undefined) throw new Error(`unit ${u.unit} did not run against ${SAME_COMMANDS}`);
  return u.sameCommands;
}

/** ok(FlashCache)/ok(redis-server) as a percentage, "-" when redis-server passed none. */
function ratio(fc: number, redis: number): string {
  return redis === 0 ? '-' : `${((100 * fc) / redis).toFixed(1)}%`;
}

/**
 * The Markdown table: unit | FlashCache ok / run | redis-server ok / run |
 * ok(FC)/ok(redis) | ignored by tag (FC / redis) | notes; then a total row.
 * When the units ran against the third server too (`sameCommands`), it
 * gains "redis-server, FlashCache's commands ok / run" and
 * "ok(FC)/ok(that)" after the first ratio, and the ignored column a third
 * count.
 *
 * @throws Error with `sameCommands` when a unit has no third run
 */
export function markdownTable(units: UnitPair[], sameCommands = false): string {
  const rows: string[][] = [];
  let fcOk = 0;
  let fcRun = 0;
  let rOk = 0;
  let rRun = 0;
  let sOk = 0;
  let sRun = 0;
  for (const u of units) {
    const fc = counts(u.flashcache);
    const r = counts(u.redis);
    fcOk += fc.ok;
    fcRun += fc.run;
    rOk += r.ok;
    rRun += r.run;
    const notes = [
      ['FlashCache', outcomeNote(u.flashcache, u.serverExit.flashcache)],
      ['redis-server', outcomeNote(u.redis, u.serverExit.redis)],
    ];
    const ignored = [u.flashcache.ignored.length, u.redis.ignored.length];
    const same: string[] = [];
    if (sameCommands) {
      const run = thirdRun(u);
      const s = counts(run);
      sOk += s.ok;
      sRun += s.run;
      same.push(`${s.ok} / ${s.run}`, ratio(fc.ok, s.ok));
      notes.push([SAME_COMMANDS, outcomeNote(run, u.serverExit.sameCommands ?? null)]);
      ignored.push(run.ignored.length);
    }
    rows.push([
      u.unit,
      `${fc.ok} / ${fc.run}`,
      `${r.ok} / ${r.run}`,
      ratio(fc.ok, r.ok),
      ...same,
      ignored.join(' / '),
      notes
        .filter(([, n]) => n !== '')
        .map(([who, n]) => `${who}: ${n}`)
        .join('<br>'),
    ]);
  }
  const sameTotal = sameCommands ? [`${sOk} / ${sRun}`, ratio(fcOk, sOk)] : [];
  rows.push(['**total**', `${fcOk} / ${fcRun}`, `${rOk} / ${rRun}`, ratio(fcOk, rOk), ...sameTotal, '', '']);
  const head = ['unit', 'FlashCache ok / run', 'redis-server ok / run', 'ok(FC)/ok(redis)', 'ignored (FC / redis)'];
  if (sameCommands)
    head.splice(4, 1, "redis-server, FlashCache's commands ok / run", 'ok(FC)/ok(that)', 'ignored (FC / redis / that)');
  const lines = [`| ${[...head, 'notes'].join(' | ')} |`, `|${' --- |'.repeat(head.length + 1)}`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

/** A test that passes on redis-server and not on FlashCache. */
export interface Regression {
  name: string;
  /** `err`: failed, with its message; `not run`: FlashCache's run of the unit ended (or its block broke off) first. */
  status: 'err' | 'not run';
  message?: string;
}

/**
 * The tests of a unit that pass on redis-server (or on the reference run
 * given, such as `u.sameCommands`) and do not pass on FlashCache, in the
 * reference's order. Tests are matched by name and occurrence (a unit may
 * run tests of the same name in several blocks).
 */
export function regressions(u: UnitPair, reference: UnitRun = u.redis): Regression[] {
  const fc = new Map<string, UnitRun['tests'][number][]>();
  for (const t of u.flashcache.tests) {
    const list = fc.get(t.name) ?? [];
    list.push(t);
    fc.set(t.name, list);
  }
  const out: Regression[] = [];
  for (const t of reference.tests) {
    const mine = fc.get(t.name)?.shift();
    if (t.status !== 'ok' || mine?.status === 'ok') continue;
    out.push(
      mine === undefined ? { name: t.name, status: 'not run' } : { name: t.name, status: 'err', message: mine.message },
    );
  }
  return out;
}

/**
 * The Markdown list of {@link regressions}, one section per unit that has
 * any: against redis-server, or with `sameCommands` against the run on
 * redis-server restricted to FlashCache's commands.
 *
 * @throws Error with `sameCommands` when a unit has no third run
 */
export function markdownRegressions(units: UnitPair[], sameCommands = false): string {
  const parts: string[] = [];
  for (const u of units) {
    const list = regressions(u, sameCommands ? thirdRun(u) : u.redis);
    if (list.length === 0) continue;
    const failed = list.filter((r) => r.status === 'err').length;
    parts.push(
      `### ${u.unit}: ${list.length} (${failed} failed, ${list.length - failed} not run)\n\n` +
        list
          .map((r) =>
            r.status === 'err' ? `- ${r.name}: \`${short(r.message ?? '', 160)}\`` : `- ${r.name} (not run)`,
          )
          .join('\n'),
    );
  }
  if (parts.length > 0) return parts.join('\n\n');
  return `None: every test that passes on ${sameCommands ? SAME_COMMANDS : 'redis-server'} passes on FlashCache.`;
}
