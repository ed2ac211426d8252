/**
 * list commands (filled in by the lists family).
 */
import type { CommandSpec } from './table.js';

/** The list family's table entries. */
export const listCommands: CommandSpec[] = [];
