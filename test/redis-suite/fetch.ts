/**
 * Fetching Redis 7.0.15's test suite from Debian's source package: `deb-src`
 * entries mirroring the active `deb` ones in the apt sources, `apt-get
 * source --download-only redis` in a cache directory, then `tests/` and
 * `runtest` extracted from `redis_7.0.15.orig.tar.gz`. Also installs Debian's
 * `tcl` (tclsh) when it is missing. apt-get runs through sudo unless root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Redis version whose suite is run. */
export const REDIS_VERSION = '7.0.15';
/** The upstream tarball inside Debian's source package. */
export const ORIG_TARBALL = `redis_${REDIS_VERSION}.orig.tar.gz`;
/** The tarball's top directory. */
const TOP = `redis-${REDIS_VERSION}`;

/** Where apt keeps its sources. */
export interface AptPaths {
  /** The classic one-line list, `/etc/apt/sources.list`. */
  list: string;
  /** The directory of `*.list` and `*.sources` files, `/etc/apt/sources.list.d`. */
  dir: string;
}

/** The system's apt source locations. */
export const SYSTEM_APT: AptPaths = { list: '/etc/apt/sources.list', dir: '/etc/apt/sources.list.d' };

/** The file this module writes its `deb-src` entries to (one per format), inside {@link AptPaths.dir}. */
export const SRC_FILE = 'flashcache-redis-suite-src';

/** One apt source entry, whichever format it was written in. */
export interface AptEntry {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /**
   * Every other field of a deb822 stanza (Signed-By, Architectures, ...), or
   * the `[...]` options of a one-line entry as fields.
   */
  options: Record<string, string>;
  format: 'deb822' | 'one-line';
}

/** Parses the deb822 stanzas of a `.sources` file; stanzas with `Enabled: no` are left out. */
export function parseDeb822(text: string): AptEntry[] {
  const entries: AptEntry[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last: string | null = null;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last !== null) {
        fields[last] += `\n${line}`;
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!;
      fields[last] = m[2]!;
    }
    const get = (name: string): string | undefined => {
      const key = Object.keys(fields).find((k) => k.toLowerCase() === name.toLowerCase());
      return key === undefined ? undefined : fields[key];
    };
    const types = get('Types');
    if (types === undefined || get('Enabled')?.trim().toLowerCase() === 'no') continue;
    const words = (v: string | undefined): string[] => (v ?? '').split(/\s+/).filter(Boolean);
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (!['types', 'uris', 'suites', 'components', 'enabled'].includes(k.toLowerCase())) options[k] = v;
    }
    entries.push({
      types: words(types),
      uris: words(get('URIs')),
      suites: words(get('Suites')),
      components: words(get('Components')),
      options,
      format: 'deb822',
    });
  }
  return entries;
}

/** Parses a classic one-line list (`deb [opts] uri suite component...`); comments and blank lines are skipped. */
export function parseOneLine(text: string): AptEntry[] {
  const entries: AptEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    if (!m) continue;
    const options: Record<string, string> = {};
    for (const opt of (m[2] ?? '').split(/\s+/).filter(Boolean)) {
      const eq = opt.indexOf('=');
      if (eq > 0) options[opt.slice(0, eq)] = opt.slice(eq + 1);
    }
    entries.push({
      types: [m[1]!],
      uris: [m[3]!],
      suites: [m[4]!],
      components: m[5]!.split(/\s+/).filter(Boolean),
      options,
      format: 'one-line',
    });
  }
  return entries;
}

/**
 * Every active entry under `paths`: the one-line list, `*.list` and
 * `*.sources` files (others, such as `.disabled`, are ignored as apt ignores them).
 */
export function readAptSources(paths: AptPaths = SYSTEM_APT): AptEntry[] {
  const entries: AptEntry[] = [];
  if (existsSync(paths.list)) entries.push(...parseOneLine(readFileSync(paths.list, 'utf8')));
  if (existsSync(paths.dir)) {
    for (const f of readdirSync(paths.dir).sort()) {
      const text = (): string => readFileSync(join(paths.dir, f), 'utf8');
      if (f.endsWith('.list')) entries.push(...parseOneLine(text()));
      else if (f.endsWith('.sources')) entries.push(...parseDeb822(text()));
    }
  }
  return entries;
}

/**
 * The `deb` entries that have no `deb-src` counterpart (same URI and suite)
 * among `entries`, as `deb-src` entries with the same URIs, suites,
 * components and options.
 */
export function missingSrcEntries(entries: AptEntry[]): AptEntry[] {
  const key = (u: string, s: string, c: string): string => `${u.replace(/\/+$/, '')} ${s} ${c}`;
  // A flat repository (suite ending in /) has no components.
  const comps = (e: AptEntry): string[] => (e.components.length > 0 ? e.components : ['']);
  const have = new Set<string>();
  const add = (e: AptEntry, suites: string[]): void => {
    for (const u of e.uris) for (const s of suites) for (const c of comps(e)) have.add(key(u, s, c));
  };
  for (const e of entries) if (e.types.includes('deb-src')) add(e, e.suites);
  const out: AptEntry[] = [];
  for (const e of entries) {
    if (!e.types.includes('deb')) continue;
    const suites = e.suites.filter((s) => e.uris.some((u) => comps(e).some((c) => !have.has(key(u, s, c)))));
    if (suites.length === 0) continue;
    out.push({ ...e, types: ['deb-src'], suites });
    add(e, suites);
  }
  return out;
}

/** Renders entries as deb822 stanzas. */
export function renderDeb822(entries: AptEntry[]): string {
  return entries
    .map((e) => {
      const lines = [
        `Types: ${e.types.join(' ')}`,
        `URIs: ${e.uris.join(' ')}`,
        `Suites: ${e.suites.join(' ')}`,
        `Components: ${e.components.join(' ')}`,
        ...Object.entries(e.options).map(([k, v]) => `${k}: ${v}`),
      ];
      return `${lines.join('\n')}\n`;
    })
    .join('\n');
}

/** Renders entries as one-line list entries (deb822 option names are written as one-line options). */
export function renderOneLine(entries: AptEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    const opts = Object.entries(e.options)
      .filter(([, v]) => !v.includes('\n'))
      .map(([k, v]) => `${k.toLowerCase()}=${v.trim().split(/\s+/).join(',')}`);
    const bracket = opts.length > 0 ? ` [${opts.join(' ')}]` : '';
    for (const t of e.types)
      for (const u of e.uris)
        for (const s of e.suites) lines.push(`${t}${bracket} ${u} ${s} ${e.components.join(' ')}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * Adds `deb-src` entries mirroring every active `deb` entry that lacks one:
 * deb822 stanzas to `<dir>/flashcache-redis-suite-src.sources`, one-line
 * entries to `<dir>/flashcache-redis-suite-src.list`.
 *
 * @returns the files written (none when every `deb` entry already has its `deb-src`)
 */
export function addDebSrc(paths: AptPaths = SYSTEM_APT, write = writeAsRoot): string[] {
  const missing = missingSrcEntries(readAptSources(paths));
  const written: string[] = [];
  const header = '# deb-src entries mirroring the deb ones, for the Redis test suite (npm run test:redis-suite)\n';
  const deb822 = missing.filter((e) => e.format === 'deb822');
  const oneLine = missing.filter((e) => e.format === 'one-line');
  if (deb822.length > 0) {
    const file = join(paths.dir, `${SRC_FILE}.sources`);
    const old = existsSync(file) ? readFileSync(file, 'utf8') : header;
    write(file, `${old.replace(/\n*$/, '\n')}\n${renderDeb822(deb822)}`);
    written.push(file);
  }
  if (oneLine.length > 0) {
    const file = join(paths.dir, `${SRC_FILE}.list`);
    const old = existsSync(file) ? readFileSync(file, 'utf8') : header;
    write(file, `${old.replace(/\n*$/, '\n')}${renderOneLine(oneLine)}`);
    written.push(file);
  }
  return written;
}

/** `sudo` when not root. */
function sudo(): string[] {
  return process.getuid?.() === 0 ? [] : ['sudo'];
}

/** Writes a file, through `sudo tee` when not root. */
function writeAsRoot(file: string, text: string): void {
  if (process.getuid?.() === 0) {
    writeFileSync(file, text);
    return;
  }
  const r = spawnSync('sudo', ['tee', file], { input: text, stdio: ['pipe', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`sudo tee ${file} failed`);
}

/**
 * Runs a command with its output on stderr, printing it first.
 *
 * @returns whether it exited 0
 */
function step(argv: string[], cwd?: string): boolean {
  process.stderr.write(`$ ${argv.join(' ')}${cwd ? `  (in ${cwd})` : ''}\n`);
  const [cmd, ...args] = argv;
  return spawnSync(cmd!, args, { cwd, stdio: ['ignore', 2, 'inherit'] }).status === 0;
}

/** Whether a command is on the PATH. */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs Debian's `tcl` (which provides `tclsh`) with apt-get when tclsh is missing.
 *
 * @throws Error when apt-get fails
 */
export function ensureTcl(): void {
  if (have('tclsh')) return;
  process.stderr.write('tclsh missing; installing tcl\n');
  const install = [
    ...sudo(),
    'env',
    'DEBIAN_FRONTEND=noninteractive',
    'apt-get',
    'install',
    '-y',
    '-qq',
    '--no-install-recommends',
    'tcl',
  ];
  if (!step(install) && !(step([...sudo(), 'apt-get', 'update', '-qq']) && step(install)))
    throw new Error('apt-get install tcl failed');
}

/** The extracted suite. */
export interface Suite {
  /** The directory holding `tests/` and `runtest`; the harness runs from here. */
  root: string;
  /** The source tarball it came from. */
  tarball: string;
}

/**
 * Makes sure Redis's test suite is extracted under `cache` and returns it:
 * downloads Debian's source package of redis into `cache` (adding `deb-src`
 * entries and updating apt's lists when needed) unless the upstream tarball
 * is already there, then extracts `tests/` and `runtest` from it.
 *
 * @param cache the cache directory (created when missing)
 * @throws Error when a step fails, or the source package is not Redis {@link REDIS_VERSION}
 */
export function ensureSuite(cache: string): Suite {
  mkdirSync(cache, { recursive: true });
  const root = join(cache, TOP);
  const tarball = join(cache, ORIG_TARBALL);
  if (existsSync(join(root, 'tests', 'test_helper.tcl')) && existsSync(join(root, 'runtest'))) return { root, tarball };
  if (!existsSync(tarball)) download(cache);
  if (!existsSync(tarball)) {
    const got = readdirSync(cache).filter((f) => f.endsWith('.orig.tar.gz'));
    throw new Error(`apt-get source gave ${got.join(', ') || 'no upstream tarball'}, not ${ORIG_TARBALL}`);
  }
  if (!step(['tar', '-xzf', tarball, '-C', cache, `${TOP}/tests`, `${TOP}/runtest`]))
    throw new Error(`extracting tests/ and runtest from ${tarball} failed`);
  return { root, tarball };
}

/** `apt-get source --download-only redis` in `cache`, adding `deb-src` entries and updating apt first when needed. */
function download(cache: string): void {
  if (!have('apt-get')) throw new Error(`no apt-get: put ${ORIG_TARBALL} (Redis ${REDIS_VERSION}) in ${cache}`);
  const written = addDebSrc();
  for (const f of written) process.stderr.write(`added deb-src entries to ${f}\n`);
  const source = ['apt-get', 'source', '--download-only', '-qq', 'redis'];
  const update = [...sudo(), 'apt-get', 'update', '-qq'];
  // apt-get source reads the Sources lists; a new or never-updated deb-src entry has none yet.
  if (written.length > 0) {
    if (!step(update)) throw new Error('apt-get update failed');
    if (!step(source, cache)) throw new Error('apt-get source --download-only redis failed');
    return;
  }
  if (step(source, cache)) return;
  if (!step(update) || !step(source, cache)) throw new Error('apt-get source --download-only redis failed');
}
