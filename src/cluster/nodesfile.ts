/**
 * The nodes file (`cluster-config-file`, nodes.conf in the data directory):
 * Redis's format (cluster.c `clusterSaveConfig`, `clusterLoadConfig`), one
 * CLUSTER NODES line per node (handshakes left out) and a last line
 * `vars currentEpoch <n> lastVoteEpoch <n>`. It is written whole to a
 * temporary file and renamed over the old one, so a crash of the process
 * leaves the old file or the new one. As Redis does, the file and the
 * directory are fsynced only for what a machine crash must not take back
 * (a vote, a failover's epoch, a change of primary): `durable`.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDirSync } from '../persistence/fsutil.js';
import { type ClusterNode, describeNode, NodeFlag, parseFlags } from './node.js';

/** One node line of the file, parsed. */
export interface NodeLine {
  id: string;
  ip: string;
  port: number;
  cport: number;
  flags: number;
  master: string | null;
  configEpoch: number;
  slots: [number, number][];
  migrating: [number, string][];
  importing: [number, string][];
}

/** The file's content. */
export interface NodesFile {
  nodes: NodeLine[];
  currentEpoch: number;
  lastVoteEpoch: number;
}

/** What the file is written from (the cluster state). */
export interface NodesSource {
  readonly nodes: ReadonlyMap<string, ClusterNode>;
  readonly myself: ClusterNode;
  readonly migrating: readonly (ClusterNode | null)[];
  readonly importing: readonly (ClusterNode | null)[];
  readonly currentEpoch: number;
  readonly lastVoteEpoch: number;
}

/**
 * Reads the nodes file, or null when there is none (or it is empty, as a
 * crash before the first write leaves it).
 *
 * @throws Error naming the file and line of a malformed line
 */
export function loadNodesFile(path: string): NodesFile | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') return null;
  const out: NodesFile = { nodes: [], currentEpoch: 0, lastVoteEpoch: 0 };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const w = line.split(' ');
    if (w[0] === 'vars') {
      for (let k = 1; k + 1 < w.length; k += 2) {
        if (w[k] === 'currentEpoch') out.currentEpoch = Number(w[k + 1]);
        else if (w[k] === 'lastVoteEpoch') out.lastVoteEpoch = Number(w[k + 1]);
      }
      return;
    }
    const m = /^(.*):(\d+)@(\d+)(,.*)?$/.exec(w[1] ?? '');
    if (w.length < 8 || m === null || !/^[0-9a-f]{40}$/.test(w[0]!)) {
      throw new Error(`${path}:${i + 1}: unrecoverable error in the cluster config file`);
    }
    const node: NodeLine = {
      id: w[0]!,
      ip: m[1]!,
      port: Number(m[2]),
      cport: Number(m[3]),
      flags: parseFlags(w[2]!),
      master: w[3] === '-' ? null : w[3]!,
      configEpoch: Number(w[6]),
      slots: [],
      migrating: [],
      importing: [],
    };
    for (const s of w.slice(8)) {
      const open = /^\[(\d+)-([<>])-([0-9a-f]{40})\]$/.exec(s);
      if (open !== null) {
        (open[2] === '>' ? node.migrating : node.importing).push([Number(open[1]), open[3]!]);
        continue;
      }
      const [a, b] = s.split('-');
      node.slots.push([Number(a), Number(b ?? a)]);
    }
    out.nodes.push(node);
  });
  return out;
}

/**
 * Writes the nodes file: temporary file, rename; with `durable`, fsync of both.
 *
 * @throws the file system's error (the caller stops: a node must not answer what it could not record)
 */
export function saveNodesFile(path: string, s: NodesSource, durable: boolean): void {
  let text = '';
  for (const n of s.nodes.values()) {
    if ((n.flags & NodeFlag.Handshake) !== 0) continue;
    text += `${describeNode(n, n === s.myself ? s : null)}\n`;
  }
  text += `vars currentEpoch ${s.currentEpoch} lastVoteEpoch ${s.lastVoteEpoch}\n`;
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (durable) fsyncDirSync(dirname(path));
}
