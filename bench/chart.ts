/**
 * SVG bar chart of FlashCache/Redis throughput ratios from compare.js results:
 * one bar per test, pipeline depth and persistence mode (values and
 * connections cells labelled with their -d or -c; the
 * latency suite repeats throughput's -P 1 workload and is left out), a dashed
 * line at parity (1.0) and a black tick at issue 6's target where it sets one.
 *
 *   node dist/bench/chart.js results1.json results2.json --out bench/ratios.svg
 *
 * Several files combine into one chart; when two hold the same cell the later
 * file's is drawn. compare.js draws the same chart with `--chart FILE.svg`.
 * Rendered with vega-lite and vega, no canvas.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { issueTarget, rpsRatio, type Cell, type Results } from './lib.js';

/** Bar label of a cell; the persistence mode is appended. */
function label(c: Cell): string {
  const base = `${c.test} -P ${c.pipeline}`;
  if (c.suite === 'values') return `${base} -d ${c.datasize}`;
  if (c.suite === 'connections') return `${base} -c ${c.clients}`;
  return base;
}

/**
 * Renders the chart of the cells' FlashCache/Redis ratios of median
 * requests per second.
 *
 * @returns the SVG document
 */
export async function ratioChart(cells: readonly Cell[]): Promise<string> {
  const rows = new Map<string, { label: string; mode: string; ratio: number; target: number | null }>();
  for (const c of cells) {
    if (c.suite === 'latency') continue;
    const key = `${label(c)} · ${c.fsync}`;
    rows.set(key, { label: key, mode: c.fsync, ratio: Math.round(rpsRatio(c) * 100) / 100, target: issueTarget(c) });
  }
  const y = { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 400 } } as const;
  const x = { field: 'ratio', type: 'quantitative', title: 'FlashCache/Redis, median requests per second' } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'FlashCache/Redis throughput', subtitle: 'dashed: parity (1.0); black tick: issue 6 target' },
    width: 480,
    data: { values: [...rows.values()] },
    layer: [
      { mark: 'bar', encoding: { y, x, color: { field: 'mode', type: 'nominal', title: 'persistence' } } },
      {
        mark: { type: 'text', align: 'left', dx: 3 },
        encoding: { y, x, text: { field: 'ratio', type: 'quantitative', format: '.2f' } },
      },
      {
        transform: [{ filter: 'datum.target != null' }],
        mark: { type: 'tick', color: 'black', thickness: 2 },
        encoding: { y, x: { field: 'target', type: 'quantitative' } },
      },
      {
        data: { values: [{}] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
        encoding: { x: { datum: 1 } },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const program = new Command('bench-chart')
    .argument('<files...>', 'compare.js --json results')
    .requiredOption('--out <file>', 'SVG file to write')
    .parse();
  const cells = program.args.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as Results).cells);
  writeFileSync(program.opts<{ out: string }>().out, await ratioChart(cells));
}
