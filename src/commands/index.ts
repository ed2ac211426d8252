/**
 * Every command family's table entries, in the order COMMAND lists them.
 * A new family adds its file here and nowhere else.
 */
import type { CommandSpec } from './context.js';
import { connectionCommands } from './connection.js';
import { clientCommands } from './client.js';
import { monitorCommands } from './monitor.js';
import { adminCommands } from './admin.js';
import { introspectionCommands } from './introspection.js';
import { slowlogCommands } from './slowlog.js';
import { latencyCommands } from './latency.js';
import { clusterCommands } from './cluster.js';
import { debugCommands } from './debug.js';
import { memoryCommands } from './memory.js';
import { functionCommands } from './functions.js';
import { evalCommands } from './scripting/eval.js';
import { multiCommands } from './multi.js';
import { pubsubCommands } from './pubsub.js';
import { stringCommands } from './strings.js';
import { counterCommands } from './counters.js';
import { lcsCommands } from './lcs.js';
import { bitmapCommands } from './bitmaps.js';
import { bitfieldCommands } from './bitfield.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { keyCommands } from './keys.js';
import { dumpCommands } from './dump.js';
import { migrateCommands } from './migrate.js';
import { expireCommands } from './expire.js';
import { sortCommands } from './sort.js';
import { hashCommands } from './hashes.js';
import { listCommands } from './lists.js';
import { blockingListCommands } from './listblocking.js';
import { setCommands } from './sets.js';
import { zsetCommands } from './zsets.js';
import { blockingZsetCommands } from './zsetblocking.js';
import { geoCommands } from './geo.js';
import { streamCommands } from './streams.js';
import { streamReadCommands } from './streamread.js';
import { streamGroupCommands } from './streamclaim.js';
import { replicationCommands } from './replication.js';

/** The full command table contents. */
export function allCommands(): CommandSpec[] {
  return [
    ...connectionCommands,
    ...clientCommands,
    ...monitorCommands,
    ...adminCommands,
    ...replicationCommands,
    ...clusterCommands,
    ...introspectionCommands,
    ...slowlogCommands,
    ...latencyCommands,
    ...debugCommands,
    ...memoryCommands,
    ...functionCommands,
    ...evalCommands,
    ...multiCommands,
    ...pubsubCommands,
    ...stringCommands,
    ...counterCommands,
    ...lcsCommands,
    ...bitmapCommands,
    ...bitfieldCommands,
    ...hyperloglogCommands,
    ...keyCommands,
    ...dumpCommands,
    ...migrateCommands,
    ...expireCommands,
    ...sortCommands,
    ...hashCommands,
    ...listCommands,
    ...blockingListCommands,
    ...setCommands,
    ...zsetCommands,
    ...blockingZsetCommands,
    ...geoCommands,
    ...streamCommands,
    ...streamReadCommands,
    ...streamGroupCommands,
  ];
}
