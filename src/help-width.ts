/**
 * `--help` that fits an 80-column terminal (or a narrower one) for
 * `flashcache` and `cache-dump`: descriptions wrap at the terminal's width,
 * at most 80 columns, and a long option or command term goes on a line of
 * its own with its description indented below it, instead of pushing every
 * description to the right.
 */
import { Help, type HelpConfiguration } from 'commander';

/** Width of the term column; longer terms get a line of their own. */
const TERM_COLUMN = 26;
/** Indent of a description under a term that had a line of its own. */
const BELOW_INDENT = 8;

/** Columns help is wrapped to: the terminal's, at most 80 (80 when not a terminal). */
export function helpColumns(stream: NodeJS.WriteStream = process.stdout): number {
  const cols = stream.isTTY ? stream.columns : 80;
  return Math.max(40, Math.min(cols || 80, 80));
}

/** Commander settings for {@link Command.configureHelp}: pass to the program before adding subcommands. */
export function narrowHelp(): HelpConfiguration {
  const base = Help.prototype;
  return {
    helpWidth: helpColumns(),
    padWidth(cmd, helper) {
      return Math.min(base.padWidth.call(this, cmd, helper), TERM_COLUMN);
    },
    formatItem(term, termWidth, description, helper) {
      if (term.length <= termWidth || description === '') {
        return base.formatItem.call(this, term, termWidth, description, helper);
      }
      const width = (this.helpWidth ?? 80) - BELOW_INDENT;
      const below = helper.boxWrap(description, width).replace(/^/gm, ' '.repeat(BELOW_INDENT));
      return `  ${term}\n${below}`;
    },
  };
}
