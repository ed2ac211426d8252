/**
 * Running one unit of Redis's Tcl test suite in external mode
 * (`tclsh tests/test_helper.tcl --host ... --port ... --single <unit>`) and
 * reading what its test server prints: `[ok]`, `[err]`, `[skip]`,
 * `[ignore]`, `[exception]`, `[TIMEOUT]` and the `[n/m done]` line that
 * closes a unit that ran to its end.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** The harness arguments every unit runs with, after `--host`, `--port` and `--single`. */
export const HARNESS_ARGS = [
  '--durable',
  '--clients',
  '1',
  '--tags',
  '-slow',
  '--tags',
  '-needs:repl',
  '--tags',
  '-needs:debug',
  '--tags',
  '-needs:pfdebug',
  '--tags',
  '-needs:save',
  '--ignore-encoding',
  '--ignore-digest',
];

/** The first port the harness's own test server listens on (it tries 32 from here); servers under test stay below. */
export const HARNESS_PORT = 21079;

/** One test the harness ran. */
export interface TestResult {
  name: string;
  status: 'ok' | 'err';
  /** For `err`: the harness's message, without the `<name> in <file>` line. */
  message?: string;
}

/** How a unit's run ended. */
export type Outcome =
  /** The harness printed `[n/m done]` for the unit. */
  | 'completed'
  /** An error outside any test (`[exception]`): the harness stopped the unit there. */
  | 'exception'
  /** The harness's own progress timeout (`[TIMEOUT]`). */
  | 'harness-timeout'
  /** The runner's per-unit timeout: the harness was killed. */
  | 'timeout'
  /** The harness exited without any of the above. */
  | 'harness-exit';

/** What the harness printed for one unit, parsed. */
export interface UnitLog {
  /** Tests in the order they finished. */
  tests: TestResult[];
  /** `[skip]` lines: tests left out by name. */
  skipped: string[];
  /** `[ignore]` lines: tests or whole blocks left out by tag (`--tags`, `external:skip`, ...). */
  ignored: string[];
  /**
   * `[err]` lines for an error outside a test but inside a server block
   * (`--durable` catches it): the tests after it in that block did not run.
   */
  blockErrors: string[];
  /** The `[exception]` message, when there was one. */
  exception?: string;
  /** Whether the `[n/m done]` line was seen. */
  done: boolean;
  /** Whether the harness reported its own `[TIMEOUT]`. */
  harnessTimeout: boolean;
}

/** Removes ANSI colour sequences (the harness colours its output on xterm-like terminals). */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

/** A line that starts a new report of the test server (anything else continues the previous one). */
const START = new RegExp(
  [
    String.raw`^\[(ok|err|skip|ignore|exception|TIMEOUT|ready|\d+/\d+ done)\]:? ?(.*)$`,
    '^Testing ',
    '^Cleanup:',
    '^Starting test server',
    String.raw`^\s*The End$`,
    '^Execution time of',
    '^Killing still running',
  ].join('|'),
);

/**
 * Drops the error line the harness cut short: for an error that is not an
 * assertion it prints the message without its first 10 characters (meant to
 * remove `assertion:`), then the whole message as the first line of the Tcl
 * stack trace.
 */
export function unchop(lines: string[]): string[] {
  const a = lines[0];
  const b = lines[1];
  if (a !== undefined && b !== undefined && b.length === a.length + 10 && b.endsWith(a)) return lines.slice(1);
  return lines;
}

/**
 * Parses the test server's output for one unit.
 *
 * An `[err]` whose first line is `<name> in tests/<file>.tcl` is a failed
 * test; any other `[err]` is an error outside a test ({@link UnitLog.blockErrors}).
 */
export function parseHarnessOutput(output: string): UnitLog {
  const log: UnitLog = { tests: [], skipped: [], ignored: [], blockErrors: [], done: false, harnessTimeout: false };
  const lines = stripAnsi(output).split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const m = START.exec(line);
    i++;
    if (!m || m[1] === undefined) continue;
    const kind = m[1];
    const first = m[2] ?? '';
    // Continuation lines (an error's details) up to the next report.
    const rest: string[] = [];
    while (i < lines.length && !START.test(lines[i]!)) rest.push(lines[i++]!);
    while (rest.length > 0 && rest[rest.length - 1]!.trim() === '') rest.pop();
    if (kind === 'ok') {
      log.tests.push({ name: first.replace(/ \(\d+ ms\)$/, ''), status: 'ok' });
    } else if (kind === 'err') {
      const t = /^(.*) in tests\/\S+\.tcl$/.exec(first);
      if (t) log.tests.push({ name: t[1]!, status: 'err', message: unchop(rest).join('\n') });
      else log.blockErrors.push(unchop([first, ...rest]).join('\n'));
    } else if (kind === 'skip') {
      log.skipped.push(first);
    } else if (kind === 'ignore') {
      log.ignored.push(first);
    } else if (kind === 'exception') {
      log.exception = [first, ...rest].join('\n');
    } else if (kind === 'TIMEOUT') {
      log.harnessTimeout = true;
    } else if (/^\d+\/\d+ done$/.test(kind)) {
      log.done = true;
    }
  }
  return log;
}

/** One unit's run against one server. */
export interface UnitRun extends UnitLog {
  unit: string;
  outcome: Outcome;
  /** The harness's exit code (null when killed). */
  exitCode: number | null;
  seconds: number;
  /** The harness's raw output. */
  logFile: string;
}

/** Options of {@link runUnit}. */
export interface RunUnitOptions {
  /** The directory holding `tests/` (the harness runs from there). */
  root: string;
  unit: string;
  port: number;
  /** Raw output goes here. */
  logFile: string;
  /** Kill the harness after this many milliseconds. */
  timeoutMs: number;
  /** Extra harness arguments, after {@link HARNESS_ARGS}. */
  extraArgs?: string[];
}

/**
 * Runs one unit with `tclsh tests/test_helper.tcl --host 127.0.0.1 --port
 * <port> --single <unit>` and {@link HARNESS_ARGS}, writing its output to
 * the log file, and kills the harness's process group when it outlasts the
 * timeout.
 */
export function runUnit(o: RunUnitOptions): Promise<UnitRun> {
  const args = [
    'tests/test_helper.tcl',
    '--host',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--single',
    o.unit,
    ...HARNESS_ARGS,
    ...(o.extraArgs ?? []),
  ];
  const started = Date.now();
  const out = createWriteStream(o.logFile);
  out.write(`$ tclsh ${args.join(' ')}\n`);
  // Its own process group, so a timeout takes the test client the harness started along with it.
  const child = spawn('tclsh', args, {
    cwd: o.root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TERM: 'dumb' },
  });
  let text = '';
  const collect = (d: Buffer): void => {
    text += d.toString('utf8');
    out.write(d);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, o.timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      // The test client may outlive a test server that exited on an exception.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Nothing left.
      }
      const seconds = (Date.now() - started) / 1000;
      if (killed) out.write(`\n[runner] killed after ${o.timeoutMs / 1000} s\n`);
      out.end();
      const log = parseHarnessOutput(text);
      const outcome: Outcome = killed
        ? 'timeout'
        : log.harnessTimeout
          ? 'harness-timeout'
          : log.exception !== undefined
            ? 'exception'
            : log.done
              ? 'completed'
              : 'harness-exit';
      resolve({ ...log, unit: o.unit, outcome, exitCode: killed ? null : code, seconds, logFile: o.logFile });
    });
  });
}
