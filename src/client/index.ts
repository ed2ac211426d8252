/**
 * `flashcache/client`: the cache-aside helper for applications that use
 * FlashCache through ioredis or node-redis (docs/CLIENTS.md).
 */
export {
  type BreakerOptions,
  type BreakerState,
  CacheAside,
  CacheAsideError,
  type CacheAsideErrorCode,
  type CacheAsideHooks,
  type CacheAsideOptions,
  type CacheAsideStats,
  type CacheOperation,
  jsonSerializer,
  type LoadOptions,
  type Serializer,
} from './cache-aside.js';
export { type CacheClient, type CacheCommands, commandsFor, type IoredisLike, type NodeRedisLike } from './commands.js';
