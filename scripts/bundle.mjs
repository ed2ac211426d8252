// Bundles the server for the `flashcache` bin (bench/RESULTS.md, "Start-up"):
//
//   dist/bundle/server.cjs        src/cli.ts and everything it imports, one CommonJS file (source map beside it)
//   dist/bundle/server.cjs.cache  V8's code cache of it, written by a start and shutdown of it here
//   dist/bundle/flashcache.cjs    the launcher, src/launch.cts: compiles server.cjs with that cache and runs it
//
// One file instead of some 370 modules, and compiled from a cache instead of from 1.6 MB of source, so that a
// start spends its time starting. Modules the server imports with import() at first use (the metrics listener)
// are in the file but run only then. tsc still checks types and builds dist/src for the tests that import
// modules; the bundle comes from the same TypeScript sources.
//
// Left to Node's own loader at run time, from node_modules: compiled addons and the packages that load them by
// path (@node-rs/crc32, fs-ext, @riaskov/mmap-io, msgpackr-extract), and fengari, whose build options
// src/commands/scripting/fengari-conf.ts sets through its own require() before fengari loads: a bundled copy
// would be a second fengari that never sees them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Script } from 'node:vm';
import { build } from 'esbuild';

const OUT = 'dist/bundle';

// Two compiled addons are found by loaders that probe the system first: @node-rs/crc32's (napi-rs) reads
// /usr/bin/ldd and tries several paths, and msgpackr-extract's (node-gyp-build-optional-packages) reads the
// ELF header of the node binary to tell glibc from musl; together some 10-20 ms of a start. The bundle
// requires the glibc build of this platform's binary package directly, and falls back to the package's own
// loader whenever that fails (another platform, musl, a package missing): the same functions either way.
const DIRECT_ADDONS = {
  '@node-rs/crc32': '`@node-rs/crc32-${process.platform}-${process.arch}-gnu`',
  'msgpackr-extract':
    '`@msgpackr-extract/msgpackr-extract-${process.platform}-${process.arch}/node.napi.glibc.node`',
};
const directAddons = {
  name: 'direct-addons',
  setup(b) {
    b.onResolve({ filter: /^(@node-rs\/crc32|msgpackr-extract)$/ }, (args) =>
      args.namespace === 'direct-addon'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'direct-addon' },
    );
    b.onLoad({ filter: /.*/, namespace: 'direct-addon' }, (args) => ({
      contents:
        `let addon;\ntry {\n  addon = require(${DIRECT_ADDONS[args.path]});\n} catch {\n` +
        `  addon = require(${JSON.stringify(args.path)});\n}\nmodule.exports = addon;\n`,
      loader: 'js',
    }));
  },
};
rmSync(OUT, { recursive: true, force: true });

await build({
  entryPoints: ['src/cli.ts'],
  outfile: `${OUT}/server.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // The sources are ES modules: import.meta.url is this file's URL.
  define: { 'import.meta.url': '__flashcacheUrl' },
  // import() of what stays outside the bundle (node:tls) as require(): the launcher runs the file as a script.
  supported: { 'dynamic-import': false },
  banner: { js: "const __flashcacheUrl = require('node:url').pathToFileURL(__filename).href;" },
  external: ['@node-rs/crc32', 'fs-ext', '@riaskov/mmap-io', 'msgpackr-extract', 'fengari', 'fengari/*'],
  plugins: [directAddons],
  logLevel: 'warning',
});
await build({
  entryPoints: ['src/launch.cts'],
  outfile: `${OUT}/flashcache.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});

// server.cjs runs inside the launcher's function wrapper, where cli.ts's "#!" line would not parse: a comment
// of the same length instead, so that the source map's lines and columns still hold.
const server = `${OUT}/server.cjs`;
const source = readFileSync(server, 'utf8').replace(/^#!/, '//');
writeFileSync(server, source);

// The code cache: first of a compile only (what V8 compiles before running: the top level), then, better, of a
// start and a shutdown on an empty temporary directory, which holds every function a start compiles too. Should
// that start fail here, the first one stays: the launcher works with either, or with none.
writeFileSync(`${server}.cache`, new Script(Module.wrap(source), { filename: server }).createCachedData());
try {
  await cacheFromStart(server);
} catch (err) {
  process.stderr.write(`bundle: code cache of a compile only (a start failed: ${err.message})\n`);
}

/** Runs server.cjs as the launcher does, until it is ready, then SIGTERM; writes the code cache at its exit. */
async function cacheFromStart(file) {
  const dir = mkdtempSync(join(tmpdir(), 'flashcache-bundle-'));
  const run = `
    const { readFileSync, writeFileSync } = require('node:fs');
    const { constants, Script } = require('node:vm');
    const Module = require('node:module');
    const file = ${JSON.stringify(resolve(file))};
    const script = new Script(Module.wrap(readFileSync(file, 'utf8')), {
      filename: file,
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    process.once('exit', () => writeFileSync(file + '.cache', script.createCachedData()));
    process.argv.splice(1, 0, file);
    script.runInThisContext()({}, Module.createRequire(file), { exports: {} }, file, ${JSON.stringify(resolve(OUT))});
  `;
  const args = ['--port', '0', '--bind', '127.0.0.1', '--dir', dir, '--log-level', 'info'];
  const child = spawn(process.execPath, ['-e', run, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const exited = new Promise((ok) => child.once('exit', ok));
    let out = '';
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('not ready after 60 s')), 60_000).unref();
      child.stdout.on('data', (b) => {
        out += b;
        if (out.includes('ready to accept connections')) {
          clearTimeout(timer);
          ok();
        }
      });
      exited.then(() => fail(new Error(`exited: ${err.trim().split('\n').at(-1)}`)));
    });
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((ok) => setTimeout(ok, 30_000, 'no exit in 30 s').unref())]);
    if (code !== 0) throw new Error(`exit code ${code}`);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
