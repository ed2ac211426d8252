/** FlashCache's own version (INFO `flashcache_version`). */
export const FLASHCACHE_VERSION = '0.1.0';

/**
 * The Redis version whose commands, replies and error texts FlashCache follows
 * (INFO `redis_version`, HELLO `version`). Client libraries read it to decide
 * which commands they may send.
 */
export const REDIS_COMPAT_VERSION = '7.0.0';
