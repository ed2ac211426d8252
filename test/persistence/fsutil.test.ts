/**
 * Directory creation for the data directory, wal/ and snapshot/: missing
 * directories are created outermost first and reported, an existing one is
 * left alone, and a file in the way is an error as mkdir reports it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, ensureDirSync } from '../../src/persistence/fsutil.js';
import { cleanup, tempDir } from '../helpers/server.js';

for (const [name, ensure] of [
  ['ensureDirSync', async (p: string) => ensureDirSync(p)],
  ['ensureDir', ensureDir],
] as const) {
  test(`${name} creates every missing directory, outermost first, and reports them`, async () => {
    const root = tempDir();
    const deep = join(root, 'data', 'wal');
    assert.deepEqual(await ensure(deep), [join(root, 'data'), deep]);
    assert.ok(statSync(deep).isDirectory());
    cleanup(root);
  });

  test(`${name} creates nothing when the directory exists`, async () => {
    const root = tempDir();
    assert.deepEqual(await ensure(root), []);
    cleanup(root);
  });

  test(`${name} refuses a path that is a file, or lies under one`, async () => {
    const root = tempDir();
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    await assert.rejects(async () => ensure(file), { code: 'EEXIST' });
    await assert.rejects(async () => ensure(join(file, 'wal')), { code: 'ENOTDIR' });
    cleanup(root);
  });
}
