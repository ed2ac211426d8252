/**
 * Settings: one table (./settings.ts), four ways in, as Redis users expect.
 *
 * Precedence, highest first: command-line flag (`--name value`), config file
 * line (`name value`, redis.conf syntax), environment variable
 * (`FLASHCACHE_NAME`, dashes as underscores), built-in default. CONFIG SET
 * changes a setting at run time where the table marks it `runtime`, and calls
 * the change hooks registered for it where it is used.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { splitInlineArgs } from '../protocol/decoder.js';
import { globMatch } from '../store/glob.js';
import { IGNORED_DIRECTIVES } from './compat.js';
import { rewriteConfigFile } from './rewrite.js';
import {
  ConfigError,
  envName,
  formatSetting,
  parseSetting,
  settingDef,
  ALL_SETTINGS,
  type SettingDef,
  type SettingName,
  type Settings,
  type SettingValue,
} from './settings.js';

/** Where a setting's current value came from. */
export type SettingSource = 'default' | 'env' | 'file' | 'flag' | 'runtime';

/** A config file could not be used; the message says which line and why. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

/** How deep `include` may nest before the file is taken to include itself. */
const MAX_INCLUDE_DEPTH = 16;

/** What a config file holds: setting texts by setting name, and the directives read but not applied. */
export interface ConfigFileContents {
  /** Setting name to value text, as ./settings.ts parses it. */
  settings: Map<string, string>;
  /** Names of directives that are no settings and are ignored here (`user`, `loadmodule`, module settings). */
  ignored: Set<string>;
}

/**
 * Reads a redis.conf-style file: one `name value...` per line, `#` comments,
 * quoting as in Redis (`sdssplitargs`). A name given twice keeps the last.
 * `include FILE` reads another file at that point, as Redis 7.0 does
 * (config.c `loadServerConfig`): a relative path is taken from the working
 * directory, and a path whose last part has `*`, `?` or `[` includes every
 * matching file in name order (none is no error). `user`, `loadmodule`,
 * `sentinel`, module settings (`name.setting`) and the names Redis 7.0 keeps
 * only for old files are accepted and reported in `ignored`.
 *
 * @throws ConfigFileError naming the file and line for unknown names, bad values or unreadable files
 */
export function readConfigFile(path: string): Map<string, string> {
  return readConfigFileContents(path).settings;
}

/** {@link readConfigFile}, with the directives it ignored. */
export function readConfigFileContents(path: string): ConfigFileContents {
  const out: ConfigFileContents = { settings: new Map(), ignored: new Set() };
  readInto(path, out, 0);
  return out;
}

function readInto(path: string, out: ConfigFileContents, depth: number): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const args = splitInlineArgs(Buffer.from(line, 'utf8'));
    const fail = (why: string): ConfigFileError =>
      new ConfigFileError(`config file ${path}, line ${i + 1}: >>> '${line}' <<< ${why}`);
    if (args === null || args.length === 0) throw fail('unbalanced quotes');
    const name = args[0]!.toString('utf8').toLowerCase();
    const def = settingDef(name);
    if (def === undefined) {
      if (name === 'include' && args.length === 2) {
        if (depth >= MAX_INCLUDE_DEPTH) throw fail(`include nested over ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
        for (const f of includedFiles(args[1]!.toString('utf8'))) readInto(f, out, depth + 1);
      } else if (IGNORED_DIRECTIVES.has(name) || (name.includes('.') && args.length >= 2)) {
        out.ignored.add(name);
      } else {
        throw fail('Bad directive or wrong number of arguments');
      }
      continue;
    }
    // An empty argument of a repeatable entry (rename-command X "") must survive the join: quote it again.
    const value = args
      .slice(1)
      .map((a) => (a.length === 0 && def.multi === true ? '""' : a.toString('utf8')))
      .join(' ');
    try {
      parseSetting(def, value);
    } catch (err) {
      throw fail((err as Error).message);
    }
    const before = out.settings.get(def.name);
    // Lines of a repeatable entry add up; those of a merged one (client-output-buffer-limit) apply in order.
    const joined = def.multi === true ? `${before}\n${value}` : `${before} ${value}`;
    const keep = before !== undefined && (def.multi === true || def.merge !== undefined);
    out.settings.set(def.name, keep ? joined : value);
  }
}

/** The files an `include` names: the path, or the files its last part matches, sorted as glob(3) sorts. */
function includedFiles(path: string): string[] {
  const base = basename(path);
  if (!/[*?[]/.test(base)) return [path];
  const dir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const pat = Buffer.from(base, 'utf8');
  return names
    .filter((n) => !n.startsWith('.') && globMatch(pat, Buffer.from(n, 'utf8')))
    .sort()
    .map((n) => join(dir, n));
}

/** Live settings of a running server. */
export class Config {
  private readonly values = new Map<string, SettingValue>();
  private readonly sources = new Map<string, SettingSource>();
  private readonly hooks = new Map<string, ((value: never) => void)[]>();
  /** Path of the config file in use, or '' when none. */
  readonly file: string;
  /**
   * Directives and settings given (file, flag or environment) that have no
   * effect here, by name, in table order then file order: the start-up
   * warning lists them.
   */
  readonly ignored: string[] = [];

  /**
   * Resolves every setting from its sources.
   *
   * @param flags values given on the command line, by setting name (text)
   * @param file path of a config file, or undefined
   * @param env the environment to read `FLASHCACHE_*` from
   * @throws ConfigFileError or ConfigError when a source holds an invalid value
   */
  constructor(
    flags: Record<string, string | undefined>,
    file: string | undefined,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.file = file ?? '';
    const contents = file !== undefined ? readConfigFileContents(file) : undefined;
    const fromFile = contents?.settings ?? new Map<string, string>();
    for (const def of ALL_SETTINGS) {
      let text = def.default;
      let source: SettingSource = 'default';
      const e = env[envName(def.name)];
      if (e !== undefined) {
        text = e;
        source = 'env';
      }
      const f = fromFile.get(def.name);
      if (f !== undefined) {
        text = f;
        source = 'file';
      }
      const c = flags[def.name];
      if (c !== undefined) {
        text = c;
        source = 'flag';
      }
      try {
        this.values.set(def.name, parseSetting(def, text));
      } catch (err) {
        const where = source === 'env' ? envName(def.name) : source === 'flag' ? `--${def.name}` : source;
        throw new ConfigError(`invalid ${def.name} '${text}' (from ${where}): ${(err as Error).message}`);
      }
      this.sources.set(def.name, source);
      if (def.noop === true && source !== 'default') this.ignored.push(def.name);
    }
    this.ignored.push(...(contents?.ignored ?? []));
  }

  /** The current value of `name`. */
  get<K extends SettingName>(name: K): Settings[K] {
    // The constructor parsed every setting with its row's type: this is that type.
    return this.values.get(name) as Settings[K];
  }

  /** Where the value of `name` came from. */
  sourceOf(name: string): SettingSource | undefined {
    return this.sources.get(name);
  }

  /**
   * Registers a function that applies a run-time change of `name` (CONFIG
   * SET), called with the new, validated value after it is stored. Several
   * may be registered; they run in registration order.
   */
  onChange<K extends SettingName>(name: K, fn: (value: Settings[K]) => void): void {
    const list = this.hooks.get(name);
    if (list === undefined) this.hooks.set(name, [fn]);
    else list.push(fn);
  }

  /**
   * CONFIG GET: every setting whose name matches one of the glob patterns.
   *
   * @returns name/value pairs in table order
   */
  match(patterns: readonly string[]): [string, string][] {
    const out: [string, string][] = [];
    const seen = new Set<string>();
    const add = (key: string, def: SettingDef): void => {
      seen.add(key.toLowerCase());
      const value = this.values.get(def.name)!;
      out.push([key, def.display?.(String(value)) ?? formatSetting(value)]);
    };
    for (const p of patterns) {
      if (!/[*?[]/.test(p)) {
        // An exact name (or alias) is answered under the name as given, hidden ones included (HIDDEN_CONFIG).
        const def = settingDef(p);
        if (def !== undefined && def.secret !== true && !seen.has(p.toLowerCase())) add(p, def);
        continue;
      }
      const pat = Buffer.from(p.toLowerCase(), 'utf8');
      for (const def of ALL_SETTINGS) {
        if (def.secret === true || def.unlisted === true) continue;
        for (const name of [def.name, ...(def.aliases ?? [])]) {
          if (!seen.has(name) && globMatch(pat, Buffer.from(name))) add(name, def);
        }
      }
    }
    return out;
  }

  /**
   * CONFIG REWRITE: writes the settings in force into the config file the
   * server started with (./rewrite.ts).
   *
   * @param forceAll write every setting, defaults included (DEBUG CONFIG-REWRITE-FORCE-ALL)
   * @returns null on success, or the error reply text (without `-`)
   */
  rewrite(forceAll = false): string | null {
    if (this.file === '') return 'ERR The server is running without a config file';
    const settings = ALL_SETTINGS.map((def) => {
      const value = this.values.get(def.name)!;
      let isDefault: boolean;
      try {
        isDefault = parseSetting(def, def.default) === value;
      } catch {
        isDefault = false;
      }
      return { def, value, isDefault };
    });
    try {
      rewriteConfigFile(this.file, settings, forceAll);
      return null;
    } catch (err) {
      return `ERR Rewriting config file: ${(err as Error).message}`;
    }
  }

  /**
   * Stores a value the server itself changed, as REPLICAOF changes
   * `replicaof`: no run-time check and no change hooks; CONFIG GET and
   * CONFIG REWRITE then show it.
   */
  assign<K extends SettingName>(name: K, value: Settings[K]): void {
    this.values.set(name, value);
    this.sources.set(name, 'runtime');
  }

  /**
   * CONFIG SET of several settings at once: all are validated before any is
   * applied, as Redis 7 does.
   *
   * @param pairs name/value texts
   * @returns null on success, or the error reply text (without `-`)
   */
  set(pairs: readonly [string, string][]): string | null {
    const parsed: [SettingDef, SettingValue][] = [];
    for (const [name] of pairs) {
      if (settingDef(name) === undefined) return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
    }
    for (const [name, text] of pairs) {
      const def = settingDef(name)!;
      const immutable = `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`;
      if (def.immutable === true) return immutable;
      if (parsed.some(([d]) => d === def))
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`;
      let value: SettingValue;
      try {
        value = parseSetting(def, text, String(this.values.get(def.name)));
      } catch (err) {
        return `ERR CONFIG SET failed (possibly related to argument '${def.name}') - ${(err as Error).message}`;
      }
      // Fixed at start here (Redis could rebind a port): its current value is all CONFIG SET may give it.
      if (!def.runtime && value !== this.values.get(def.name)) return immutable;
      if (def.runtime) parsed.push([def, value]);
    }
    for (const [def, value] of parsed) {
      this.values.set(def.name, value);
      this.sources.set(def.name, 'runtime');
      for (const fn of this.hooks.get(def.name) ?? []) (fn as (v: SettingValue) => void)(value);
    }
    return null;
  }
}
