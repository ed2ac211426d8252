/**
 * The package as an operator meets it: `npm install` builds nothing, `npx
 * cache-dump` runs the built tool without rebuilding or rewriting dist/, and
 * `npm start` / `npm test` build first. Every --help fits an 80-column terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cleanup, CLI, tempDir } from '../helpers/server.js';

const ROOT = resolve(CLI, '..', '..', '..');
const DUMP = join(ROOT, 'dist', 'tools', 'cache-dump.js');

test('npm install builds nothing; npm start, npm test and npm pack build first', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  for (const hook of ['prepare', 'preinstall', 'install', 'postinstall']) {
    assert.equal(pkg.scripts[hook], undefined, `no ${hook} script: npx and npm install must not rebuild dist/`);
  }
  assert.equal(pkg.scripts['prestart'], 'npm run build');
  assert.equal(pkg.scripts['pretest'], 'npm run build');
  assert.equal(pkg.scripts['prepack'], 'npm run build');
  assert.equal(pkg.scripts['start'], 'node dist/bundle/flashcache.cjs');
});

test('npx cache-dump runs the built tool without rewriting dist/', () => {
  const before = statSync(DUMP).mtimeMs;
  // From the package's own directory, as the README runs it, with an npm cache of its own: npx installs the
  // project into that cache on first use, which is when a `prepare` script would rebuild dist/.
  const cache = tempDir('flashcache-npx-');
  const r = spawnSync('npx', ['--no', '--', 'cache-dump', '--version'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_cache: cache },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  assert.equal(statSync(DUMP).mtimeMs, before, 'dist/tools/cache-dump.js untouched');
  cleanup(cache);
});

/** The subcommand names a help text lists under "Commands:" (not `help`). */
function subcommands(help: string): string[] {
  const section = help.split('Commands:\n')[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
}

test('flashcache --help and every cache-dump --help fit an 80-column terminal', () => {
  const seen: string[] = [];
  const check = (script: string, args: string[]): string => {
    const r = spawnSync(process.execPath, [script, ...args, '--help'], { encoding: 'utf8', env: { ...process.env } });
    assert.equal(r.status, 0, r.stderr);
    for (const line of r.stdout.split('\n')) {
      assert.ok(line.length <= 80, `${[script, ...args].join(' ')} --help: ${line.length} columns: ${line}`);
    }
    seen.push(args.join(' '));
    return r.stdout;
  };
  check(CLI, []);
  const top = check(DUMP, []);
  for (const sub of subcommands(top)) {
    for (const leaf of subcommands(check(DUMP, [sub]))) check(DUMP, [sub, leaf]);
  }
  assert.ok(seen.includes('wal repair') && seen.includes('snapshot info') && seen.includes('keys'), seen.join(', '));
});

test("LICENSE is the license package.json names, and bench/RESULTS.md's headline links reach its sections", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) /);
  const results = readFileSync(join(ROOT, 'bench', 'RESULTS.md'), 'utf8');
  // GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes.
  const anchors = new Set(
    [...results.matchAll(/^#+ (.*)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  const headline = results.split('\n## ')[1]!;
  assert.match(headline, /^Headline: FlashCache against redis-server/);
  const links = [...headline.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
  assert.ok(links.length >= 10, `${links.length} links`);
  for (const a of links) assert.ok(anchors.has(a), `#${a} is a heading`);
});

const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test('packaging/flashcache.service passes systemd-analyze verify', {
  skip: analyze ? false : 'systemd-analyze is not installed (Debian: systemd)',
}, () => {
  const dir = tempDir('flashcache-unit-');
  // The unit as shipped, with ExecStart pointed at this checkout's build instead of /usr/local/bin/flashcache.
  const unit = readFileSync(join(ROOT, 'packaging', 'flashcache.service'), 'utf8');
  assert.match(unit, /^Type=notify$/m);
  assert.match(unit, /--supervised systemd/);
  const path = join(dir, 'flashcache.service');
  writeFileSync(path, unit.replace(/\/usr\/local\/bin\/flashcache/g, CLI));
  const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!r.stderr.includes('flashcache.service'), r.stderr);
  cleanup(dir);
});
