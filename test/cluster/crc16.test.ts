/**
 * Hash slots: CRC16-XMODEM's test vector (Redis's crc16.c), and the hash tag
 * rules of cluster.c `keyHashSlot` with the slots redis-server gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16, keyHashSlot } from '../../src/cluster/crc16.js';

test('CRC16-XMODEM of "123456789" is 0x31c3', () => {
  assert.equal(crc16(Buffer.from('123456789')), 0x31c3);
});

test('key slots and hash tags as redis-server 7.0.15 computes them', () => {
  const slot = (k: string) => keyHashSlot(Buffer.from(k));
  // CLUSTER KEYSLOT on redis-server 7.0.15.
  assert.equal(slot('foo'), 12182);
  assert.equal(slot('bar'), 5061);
  assert.equal(slot(''), 0);
  assert.equal(slot('123456789'), 12739);
  // The text between the first { and the next } when it is not empty.
  assert.equal(slot('{user1000}.following'), slot('user1000'));
  assert.equal(slot('{user1000}.followers'), slot('user1000'));
  assert.equal(slot('foo{}{bar}'), slot('foo{}{bar}'));
  assert.notEqual(slot('foo{}{bar}'), slot('bar'));
  assert.equal(slot('foo{{bar}}zap'), slot('{bar'));
  assert.equal(slot('foo{bar}{zap}'), slot('bar'));
});
