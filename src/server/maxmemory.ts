/**
 * The maxmemory settings (`maxmemory`, `maxmemory-policy`,
 * `maxmemory-samples`, `maxmemory-eviction-tenacity`, `lfu-log-factor`,
 * `lfu-decay-time`) applied to the evictor and the keyspace at start and on
 * every CONFIG SET, as redis.conf documents them.
 */
import type { Config } from '../config/config.js';
import { accessModeOf, type Evictor, evictionTimeLimitUs, type EvictionPolicy } from '../store/eviction.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Logger } from './logger.js';

/**
 * Applies the maxmemory settings now and whenever they change.
 *
 * @param evictInBackground called when a change leaves the data above the
 *   limit (a lower `maxmemory`, another policy), to evict without a write
 */
export function followMaxmemorySettings(
  config: Config,
  evictor: Evictor,
  keyspace: Keyspace,
  log: Logger,
  evictInBackground: () => void,
): void {
  // The policy also decides what keys' access words mean (Keyspace.setAccessMode).
  const applyPolicy = (policy: EvictionPolicy): void => {
    evictor.settings.policy = policy;
    keyspace.setAccessMode(accessModeOf(policy));
    evictor.reset();
  };
  applyPolicy(config.get('maxmemory-policy'));
  keyspace.lfuLogFactor = config.get('lfu-log-factor');
  keyspace.lfuDecayTime = config.get('lfu-decay-time');
  config.onChange('maxmemory', (v) => {
    evictor.settings.maxmemory = v;
    if (evictor.excess > 0) {
      log.warn(
        { maxmemory: v, used: keyspace.dataBytes, policy: evictor.settings.policy },
        'the new maxmemory is below the memory in use: keys will be evicted, or writes refused under noeviction',
      );
      evictInBackground();
    }
  });
  config.onChange('maxmemory-policy', (v) => {
    applyPolicy(v);
    evictInBackground();
  });
  config.onChange('maxmemory-samples', (v) => (evictor.settings.samples = v));
  config.onChange('maxmemory-eviction-tenacity', (v) => (evictor.settings.timeLimitUs = evictionTimeLimitUs(v)));
  config.onChange('lfu-log-factor', (v) => (keyspace.lfuLogFactor = v));
  config.onChange('lfu-decay-time', (v) => (keyspace.lfuDecayTime = v));
}
