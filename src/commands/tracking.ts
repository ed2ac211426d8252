/**
 * Client-side caching: CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO
 * (Redis 7.0's tracking.c), as subcommands of the CLIENT container
 * (./client.ts includes them).
 *
 * Reference: https://redis.io/docs/latest/develop/reference/client-side-caching/
 */
import type { CommandSpec } from './context.js';

/** The CLIENT subcommands of client-side caching. */
export const trackingSubcommands: CommandSpec[] = [];
