/**
 * The `flashcache` bin (built as dist/bundle/flashcache.cjs by scripts/bundle.mjs): runs the server bundled
 * into one CommonJS file beside it (dist/bundle/server.cjs, made from ./cli.ts and everything it imports),
 * compiled with the V8 code cache the build wrote for it (server.cjs.cache), so that a start neither resolves
 * and reads some 370 modules nor compiles 1.6 MB of JavaScript (bench/RESULTS.md, "Start-up").
 *
 * A cache that this Node.js or its flags cannot use (another V8 version, another build) is rejected by V8 and
 * the file is compiled as usual: the same code runs either way. With `--enable-source-maps` the bundle is
 * loaded by require() instead, so that stack traces are mapped to the TypeScript sources (server.cjs.map).
 */
import { readFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { join } from 'node:path';
import { constants, Script } from 'node:vm';

const file = join(__dirname, 'server.cjs');
if (process.sourceMapsEnabled) {
  require(file);
} else {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // No cache (a build without one): compiled as usual.
  }
  const script = new Script(wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    // An import() in the bundle loads as it would from a module file.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  const run = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: object,
    filename: string,
    dirname: string,
  ) => void;
  run(module.exports, createRequire(file), module, file, __dirname);
}
