/**
 * The collection image codec: the serialized form of a hash, list, set or
 * sorted set that its key's arena entry carries into snapshots
 * (docs/FORMAT.md, "Collection image"). Strings are latin1, one character
 * per byte.
 */

/** Bytes of an image's header: count, flags, reserved (u32 each). */
const IMAGE_HEADER = 12;
/**
 * Characters joined into one string per write while encoding: few calls
 * into C++, no string near V8's length limit.
 */
const WRITE_CHUNK_CHARS = 1 << 20;

/**
 * `Buffer#latin1Slice`: `toString('latin1', ...)` without its argument
 * checks (one call per element while loading).
 */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** The elements an image is written from (see {@link encodeImage} for the fields). */
export interface ImageSource {
  /** Elements (hash: field-value pairs). */
  count: number;
  /** The type's flags word (its encoding: docs/FORMAT.md). */
  flags: number;
  /** Strings: count, or 2 × count for a hash. */
  m: number;
  /** The i-th string. */
  get: (i: number) => string;
  /** Sorted-set scores in element order, or null. */
  scores: Float64Array | null;
}

/** An image measured by {@link measureImage}: the length of every string and the image's bytes. */
export interface MeasuredImage {
  /** Length of each string, bytes. */
  lens: Uint32Array;
  /** Bytes of the whole image. */
  bytes: number;
}

/** Measures the image of `src`: what {@link writeImageAt} needs, and how many bytes it writes. */
export function measureImage(src: ImageSource): MeasuredImage {
  const { m, get } = src;
  const lens = new Uint32Array(m);
  let total = 0;
  for (let i = 0; i < m; i++) {
    const l = get(i).length;
    lens[i] = l;
    total += l;
  }
  return { lens, bytes: IMAGE_HEADER + (src.scores === null ? 0 : src.count * 8) + m * 4 + total };
}

/**
 * Writes the image of `src` (docs/FORMAT.md, "Collection image") into `out`
 * at `at`: the header, the scores of a sorted set (f64 each), the length of
 * every string (u32 each), then the strings' bytes back to back. Typed-array
 * sections are copied in the machine's byte order, little-endian on every
 * platform Node supports here (x64, arm64).
 *
 * @param measured what {@link measureImage} returned for `src`; `out` has room for its bytes from `at`
 */
export function writeImageAt(out: Buffer, at: number, src: ImageSource, measured: MeasuredImage): void {
  const { count, m, get, scores } = src;
  const lens = measured.lens;
  out.writeUInt32LE(count, at);
  out.writeUInt32LE(src.flags, at + 4);
  out.writeUInt32LE(0, at + 8);
  let o = at + IMAGE_HEADER;
  if (scores !== null) o += Buffer.from(scores.buffer, scores.byteOffset, count * 8).copy(out, o);
  o += Buffer.from(lens.buffer, 0, m * 4).copy(out, o);
  const parts: string[] = [];
  for (let i = 0; i < m; ) {
    let chars = 0;
    parts.length = 0;
    for (; i < m && chars < WRITE_CHUNK_CHARS; i++) {
      parts.push(get(i));
      chars += lens[i]!;
    }
    o += out.write(parts.join(''), o, 'latin1');
  }
}

/**
 * Writes an image (docs/FORMAT.md, "Collection image") into a buffer of its
 * own: {@link measureImage}, then {@link writeImageAt}.
 *
 * @param count elements (hash: field-value pairs)
 * @param flags the type's flags word (its encoding: docs/FORMAT.md)
 * @param m strings: count, or 2 × count for a hash
 * @param get the i-th string
 * @param scores sorted-set scores in element order, or null
 */
export function encodeImage(
  count: number,
  flags: number,
  m: number,
  get: (i: number) => string,
  scores: Float64Array | null,
): Buffer {
  const src: ImageSource = { count, flags, m, get, scores };
  const measured = measureImage(src);
  const out = Buffer.allocUnsafe(measured.bytes);
  writeImageAt(out, 0, src, measured);
  return out;
}

/** What {@link readImage} returns. */
export interface DecodedImage {
  /** Elements (hash: field-value pairs). */
  count: number;
  /** The type's flags word. */
  flags: number;
  /** Every string in element order: count of them, or 2 × count for a hash (field, value, ...). */
  strings: string[];
  /** Sorted-set scores in element order, or null for the other types. */
  scores: Float64Array | null;
}

/**
 * Reads an image written by {@link encodeImage}.
 *
 * @param perElement strings per element (2 for a hash)
 * @param withScores whether it is a sorted set's, with a score per element
 * @throws RangeError when the image is shorter than its header says
 */
export function readImage(image: Buffer, perElement: 1 | 2, withScores: boolean): DecodedImage {
  const count = image.readUInt32LE(0);
  const flags = image.readUInt32LE(4);
  const m = count * perElement;
  let o = IMAGE_HEADER;
  let scores: Float64Array | null = null;
  if (withScores) {
    scores = new Float64Array(count);
    Buffer.from(scores.buffer).set(image.subarray(o, o + count * 8));
    o += count * 8;
  }
  const lens = new Uint32Array(m);
  Buffer.from(lens.buffer).set(image.subarray(o, o + m * 4));
  o += m * 4;
  const buf = image as Latin1Buffer;
  const strings = new Array<string>(m);
  for (let i = 0; i < m; i++) {
    const end = o + lens[i]!;
    if (end > image.length) {
      throw new RangeError(`collection image of ${image.length} bytes ends inside element ${i}`);
    }
    strings[i] = buf.latin1Slice(o, end);
    o = end;
  }
  return { count, flags, strings, scores };
}
