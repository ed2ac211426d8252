// Bundles the server (src/cli.ts and everything it imports) into dist/bundle/flashcache.js, what the
// `flashcache` bin runs: one file instead of some 370 modules, so that a start spends its time starting
// rather than resolving and reading modules (bench/RESULTS.md, "Start-up"). Modules that the server
// imports with import() at first use (scripting, metrics, RDB import) become chunks beside it, loaded
// only then. tsc still checks types and builds dist/src for the tests that import modules; the bundle
// comes from the same TypeScript sources.
//
// Left to Node's own loader at run time, from node_modules: compiled addons and the packages that
// load them by path (@node-rs/crc32, fs-ext, @riaskov/mmap-io, msgpackr-extract), and fengari, whose
// build options src/commands/scripting/fengari-conf.ts sets through its own require() before
// fengari loads: a bundled copy would be a second fengari that never sees them.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunks are named by their content's hash: last build's would stay beside this one's.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { flashcache: 'src/cli.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Bundled CommonJS packages call require() for Node's built-in modules: give them one.
  banner: {
    js: "import { createRequire as __flashcacheCreateRequire } from 'node:module';\n" +
      'const require = __flashcacheCreateRequire(import.meta.url);',
  },
  external: ['@node-rs/crc32', 'fs-ext', '@riaskov/mmap-io', 'msgpackr-extract', 'fengari', 'fengari/*'],
  logLevel: 'warning',
});
