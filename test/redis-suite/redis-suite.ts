/**
 * Redis 7.0.15's own Tcl test suite, run in external mode against FlashCache
 * and, for reference, against Debian's redis-server 7.0.15, reported per unit
 * (issue 15's measure). Not part of `npm test`.
 *
 *   npm run test:redis-suite -- --units pubsub,multi --failures --out docs/COMPATIBILITY.md --json /tmp/suite.json
 *
 * The suite comes from Debian's source package of redis: the first run adds
 * `deb-src` entries mirroring the `deb` ones to apt's sources, runs `apt-get
 * update` and `apt-get source --download-only redis` in the cache directory
 * (`.cache/redis-suite/`, or `--cache`), and extracts `tests/` and `runtest`
 * from `redis_7.0.15.orig.tar.gz`; later runs use the cache. tclsh (Debian's
 * `tcl`), redis-server and redis-cli are installed with apt-get when missing.
 *
 * Each unit runs against a fresh server on a free loopback port below 21079
 * (the harness's test server takes 21079 and up): FlashCache from
 * `dist/src/cli.js` with a temporary data directory and `--appendfsync
 * everysec` (`--appendfsync`), then redis-server with `--save '' --appendonly
 * no` and what Redis's external-server CI enables (protected configs, DEBUG,
 * MODULE). The harness runs as `tclsh tests/test_helper.tcl --host 127.0.0.1
 * --port <port> --single <unit> --durable --clients 1 --tags -slow --tags
 * -needs:repl --tags -needs:debug --tags -needs:pfdebug --tags -needs:save
 * --ignore-encoding --ignore-digest`, killed after `--timeout` seconds.
 *
 * Prints a Markdown section (unit | FlashCache ok / run | redis-server ok /
 * run | ratio, with how a unit ended when it did not complete) and appends it
 * to `--out FILE`; `--failures` adds the tests that pass on redis-server and
 * not on FlashCache (or writes them to `--failures FILE`); `--json FILE`
 * writes every test's result. The raw harness and server logs stay in a run
 * directory under the cache (printed at the end).
 *
 * `--same-commands` runs each unit a third time, against redis-server
 * started as above plus `--rename-command <name> ""` for every top-level
 * command its `COMMAND LIST` has and FlashCache's lacks (computed at the
 * start from one server of each). The table gains that server's ok / run
 * and ok(FC)/ok(that), and `--failures` a second list: the tests passing
 * there and not on FlashCache, failures in commands FlashCache has (or in
 * their subcommands, which cannot be renamed).
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ensureRedisTools, environment, environmentLine } from '../../bench/lib.js';
import { ensureSuite, ensureTcl, REDIS_VERSION } from './fetch.js';
import {
  counts,
  markdownRegressions,
  markdownTable,
  SAME_COMMANDS,
  type SuiteResults,
  type UnitPair,
} from './report.js';
import { HARNESS_ARGS, runUnit, type UnitRun } from './harness.js';
import {
  commandsMissingFromFlashCache,
  REDIS_ARGS,
  removeCommandsArgs,
  startServer,
  type ServerName,
} from './servers.js';

/** The units issue 15 measures. */
export const DEFAULT_UNITS = [
  'pubsub',
  'multi',
  'other',
  'introspection',
  'introspection-2',
  'protocol',
  'info',
  'info-command',
  'tracking',
  'latency-monitor',
  'slowlog',
  'querybuf',
  'pubsubshard',
];

/** The repository's root (this file runs as dist/test/redis-suite/redis-suite.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const o = new Command('redis-suite')
  .description("Redis 7.0.15's Tcl test suite in external mode against FlashCache and redis-server, per unit")
  .option('--units <list>', 'units, comma-separated (pubsub, unit/type/list, ...)', DEFAULT_UNITS.join(','))
  .option('--appendfsync <mode>', "FlashCache's appendfsync", 'everysec')
  .option('--timeout <seconds>', 'kill a unit that runs longer than this', '300')
  .option(
    '--cache <dir>',
    'where the source package and the extracted suite are kept',
    join(ROOT, '.cache', 'redis-suite'),
  )
  .option('--logs <dir>', 'where the raw logs go (default: runs/<time> under the cache)')
  .option('--out <file>', 'append the Markdown section to this file')
  .option('--json <file>', "write every unit's results here")
  .option(
    '--failures [file]',
    'list the tests that pass on redis-server and not on FlashCache (in the report, or in this file)',
  )
  .option(
    '--same-commands',
    "also run each unit against redis-server without the top-level commands FlashCache lacks (--rename-command '')",
  )
  .option(
    '--tolerate-function-flush',
    "let a server without FUNCTION FLUSH past the set-up of the harness's server blocks " +
      "(a patched copy; not issue 15's measure)",
  )
  .parse()
  .opts<Record<string, string | boolean | undefined>>();

/** Resolves a unit name to the harness's form (`unit/pubsub`, `unit/type/list`, `integration/...`). */
function resolveUnit(root: string, name: string): string {
  const candidates = [name, `unit/${name}`, `unit/type/${name}`, `integration/${name}`];
  const found = candidates.find((c) => existsSync(join(root, 'tests', `${c}.tcl`)));
  if (found === undefined)
    throw new Error(`no unit ${name} in ${join(root, 'tests')} (tried ${candidates.join(', ')})`);
  return found;
}

/** Copies the suite into the run directory (the harness writes to tests/tmp), patched when asked. */
function prepareTree(suiteRoot: string, runDir: string, tolerateFunctionFlush: boolean): string {
  const tree = join(runDir, `redis-${REDIS_VERSION}`);
  cpSync(join(suiteRoot, 'tests'), join(tree, 'tests'), { recursive: true });
  cpSync(join(suiteRoot, 'runtest'), join(tree, 'runtest'));
  mkdirSync(join(tree, 'tests', 'tmp'), { recursive: true });
  if (tolerateFunctionFlush) {
    const file = join(tree, 'tests', 'support', 'server.tcl');
    const text = readFileSync(file, 'utf8');
    const patched = text.replace(/^(\s*)r function flush$/m, '$1catch {r function flush}');
    if (patched === text) throw new Error(`no "r function flush" line in ${file}`);
    writeFileSync(file, patched);
  }
  return tree;
}

/** Which run of a unit: FlashCache, redis-server, or redis-server with FlashCache's commands. */
type RunKey = 'flashcache' | 'redis' | 'sameCommands';

/** One line about a unit's run, for progress on stderr. */
function progress(who: string, r: UnitRun): string {
  const c = counts(r);
  return `${who} ${c.ok}/${c.run} ok (${r.outcome}, ${r.seconds.toFixed(0)} s)`;
}

async function main(): Promise<void> {
  const timeoutMs = Number(o['timeout']) * 1000;
  if (!(timeoutMs > 0)) throw new Error('--timeout must be a positive number of seconds');
  const appendfsync = String(o['appendfsync']);
  const tolerate = o['tolerateFunctionFlush'] === true;
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) throw new Error('no dist/src/cli.js: npm run build first');

  ensureTcl();
  ensureRedisTools();
  const suite = ensureSuite(String(o['cache']));
  const units = String(o['units'])
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => resolveUnit(suite.root, u));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = String(o['logs'] ?? join(String(o['cache']), 'runs', stamp));
  mkdirSync(runDir, { recursive: true });
  const tree = prepareTree(suite.root, runDir, tolerate);
  const sameCommands = o['sameCommands'] === true;
  const removed = sameCommands ? await commandsMissingFromFlashCache(runDir, appendfsync) : [];
  if (sameCommands) process.stderr.write(`commands FlashCache lacks (${removed.length}): ${removed.join(', ')}\n`);
  const targets: { key: RunKey; server: ServerName; file: string; extraArgs: string[] }[] = [
    { key: 'flashcache', server: 'flashcache', file: 'flashcache', extraArgs: [] },
    { key: 'redis', server: 'redis', file: 'redis', extraArgs: [] },
  ];
  if (sameCommands)
    targets.push({
      key: 'sameCommands',
      server: 'redis',
      file: 'redis-same-commands',
      extraArgs: removeCommandsArgs(removed),
    });

  const pairs: UnitPair[] = [];
  for (const unit of units) {
    const slug = unit.replace(/\//g, '_');
    const runs: Partial<Record<RunKey, UnitRun>> = {};
    const serverExit: UnitPair['serverExit'] = { flashcache: null, redis: null };
    for (const t of targets) {
      const server = await startServer(t.server, {
        logFile: join(runDir, `${slug}.${t.file}.server.log`),
        appendfsync,
        extraArgs: t.extraArgs,
      });
      try {
        runs[t.key] = await runUnit({
          root: tree,
          unit,
          port: server.port,
          logFile: join(runDir, `${slug}.${t.file}.log`),
          timeoutMs,
        });
        serverExit[t.key] = server.exitCode();
      } finally {
        await server.stop();
      }
    }
    const pair: UnitPair = { unit, flashcache: runs.flashcache!, redis: runs.redis!, serverExit };
    if (runs.sameCommands !== undefined) pair.sameCommands = runs.sameCommands;
    pairs.push(pair);
    const third = pair.sameCommands === undefined ? '' : `; ${progress(SAME_COMMANDS, pair.sameCommands)}`;
    process.stderr.write(
      `${unit}: ${progress('FlashCache', pair.flashcache)}; ${progress('redis-server', pair.redis)}${third}\n`,
    );
  }
  rmSync(tree, { recursive: true, force: true });

  const args = process.argv.slice(2);
  const results: SuiteResults = {
    environment: environment(),
    command: ['npm run test:redis-suite', ...(args.length > 0 ? ['--', ...args] : [])].join(' '),
    harnessArgs: HARNESS_ARGS,
    serverArgs: { flashcache: ['--appendfsync', appendfsync], redis: REDIS_ARGS },
    logs: runDir,
    units: pairs,
  };
  if (sameCommands) {
    results.serverArgs.sameCommands = [...REDIS_ARGS, ...removeCommandsArgs(removed)];
    results.removedCommands = removed;
  }
  const env = results.environment;
  const quote = (a: string[]): string => a.map((x) => (x === '' ? "''" : x)).join(' ');
  const sameText =
    `${SAME_COMMANDS}: redis-server as above plus \`--rename-command <name> ''\` for each top-level command ` +
    `in redis-server's \`COMMAND LIST\` and not in FlashCache's, taken at the start of the run ` +
    `(${removed.length}): ${removed.join(', ') || 'none'}. ` +
    'Subcommands cannot be renamed: where FlashCache has a command and not all of its subcommands ' +
    '(FUNCTION LOAD, say), that server keeps them all. ok(FC)/ok(that) is ok(FlashCache) over ok on that server: ' +
    'what it leaves below 100% fails in commands FlashCache has (or in their subcommands).';
  const sections = [
    `## ${env.date}: Redis ${REDIS_VERSION} test suite, external mode${tolerate ? ', FUNCTION FLUSH tolerated' : ''}` +
      `${sameCommands ? `, and on ${SAME_COMMANDS}` : ''}`,
    `\`${results.command}\``,
    `${environmentLine(env)} Units run one at a time, each against a fresh server.`,
    'Harness: `tclsh tests/test_helper.tcl --host 127.0.0.1 --port <port> --single <unit> ' +
      `${HARNESS_ARGS.join(' ')}\`` +
      `${tolerate ? " with the set-up's `r function flush` wrapped in `catch`" : ''}. ` +
      `FlashCache: \`${quote(results.serverArgs.flashcache)}\`; redis-server: \`${quote(REDIS_ARGS)}\`.`,
    'ok / run: tests passed / tests that ran (passed or failed); a unit that ended early ran fewer. ' +
      'Ignored: tests or whole blocks left out by tag (`--tags`, `external:skip`).',
    ...(sameCommands ? [sameText] : []),
    markdownTable(pairs, sameCommands),
  ];
  const failures = o['failures'];
  const list = markdownRegressions(pairs);
  const sameTitle = `Passing on ${SAME_COMMANDS}, not on FlashCache`;
  const sameList = sameCommands ? markdownRegressions(pairs, true) : '';
  if (failures === true) {
    sections.push('### Passing on redis-server, not on FlashCache', list);
    if (sameCommands) sections.push(`### ${sameTitle}`, sameList);
  }
  const markdown = sections.join('\n\n');
  process.stdout.write(`${markdown}\n`);
  if (typeof failures === 'string') {
    const second = sameCommands ? `\n# ${sameTitle}\n\n${sameText}\n\n${sameList}\n` : '';
    writeFileSync(
      failures,
      `# Passing on redis-server, not on FlashCache\n\n${sections.slice(1, 3).join('\n\n')}\n\n${list}\n${second}`,
    );
    process.stderr.write(`tests passing on redis-server and not on FlashCache: ${failures}\n`);
  }
  if (o['out']) appendFileSync(String(o['out']), `\n${markdown}\n`);
  if (o['json']) writeFileSync(String(o['json']), `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write(`raw logs: ${runDir}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
