/**
 * CONFIG REWRITE's text transformation (src/config/rewrite.ts), as Redis's
 * config.c `rewriteConfig` treats a file: lines kept, replaced, blanked and
 * appended, values written in redis.conf syntax.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMemory, REWRITE_SIGNATURE, rewriteConfigText } from '../../../src/config/rewrite.js';
import { settingDef } from '../../../src/config/settings.js';

const setting = (name: string, value: string | number | boolean, isDefault = false) => ({
  def: settingDef(name)!,
  value,
  isDefault,
});

test('memory values are written with the largest unit that divides them', () => {
  assert.equal(formatMemory(0), '0');
  assert.equal(formatMemory(1024), '1kb');
  assert.equal(formatMemory(3 * 1024 * 1024), '3mb');
  assert.equal(formatMemory(2 * 1024 ** 3), '2gb');
  assert.equal(formatMemory(10_000_001), '10000001');
});

test('settings are rewritten in place, appended after the signature, and their duplicates blanked', () => {
  const before = ['# comment', 'maxmemory 1mb', '', '', 'rename-command GET ""', 'hz 5', 'hz 6', 'bogus line'].join(
    '\n',
  );
  const after = rewriteConfigText(
    `${before}\n`,
    [
      setting('maxmemory', 2 * 1024 * 1024),
      setting('hz', 7),
      setting('appendfsync', 'always', true),
      setting('requirepass', 'se"cret\n'),
      setting('protected-mode', false),
    ],
    false,
  );
  assert.equal(
    after,
    [
      '# comment',
      'maxmemory 2mb',
      '',
      'rename-command GET ""',
      'hz 7',
      '',
      'bogus line',
      REWRITE_SIGNATURE,
      'requirepass "se\\"cret\\n"',
      'protected-mode no',
      '',
    ].join('\n'),
  );
  // Once the signature is there, later appends go after it without a second one.
  const again = rewriteConfigText(after, [setting('timeout', 30)], false);
  assert.equal(again.split(REWRITE_SIGNATURE).length, 2);
  assert.ok(again.endsWith('timeout 30\n'));
  // forceAll writes defaults too.
  assert.match(
    rewriteConfigText('', [setting('appendfsync', 'always', true)], true),
    /^# Generated.*\nappendfsync always\n$/,
  );
});
