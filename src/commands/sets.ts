/**
 * set commands (filled in by the sets family).
 */
import type { CommandSpec } from './table.js';

/** The set family's table entries. */
export const setCommands: CommandSpec[] = [];
