/**
 * A reader and writer for the safetensors format (spec: https://github.com/huggingface/safetensors#format).
 *
 *   [8 bytes: header length N, little-endian u64] [N bytes: UTF-8 JSON header] [data section]
 *
 * The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}, offsets counted
 * from the start of the data section, plus an optional "__metadata__" object of string -> string. The
 * tensors' raw little-endian bytes tile the data section exactly: no gaps, no overlaps, nothing after.
 *
 * Byte order: every host we run on is little-endian, so a plain byte copy into (or out of) a typed
 * array's buffer gives the right values. The per-element decoders (F16, BF16, I64) read through a
 * DataView with an explicit little-endian flag, since they visit each element anyway.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';

export type Dtype = 'F32' | 'F64' | 'I32' | 'I64' | 'F16' | 'BF16' | 'U8' | 'BOOL';
export interface NamedTensor { shape: number[]; data: Float32Array | Float64Array | Int32Array; }
export interface LoadedTensor {
  dtype: Dtype; shape: number[]; data: Float32Array | Float64Array | Int32Array | Uint8Array;
}
type Decoded = { tensors: Record<string, LoadedTensor>; metadata: Record<string, string> };
type Fail = (what: string) => Error;

/** Bytes per element of each dtype this reader understands. */
const ITEM_SIZE: Record<Dtype, number> = { F32: 4, F64: 8, I32: 4, I64: 8, F16: 2, BF16: 2, U8: 1, BOOL: 1 };
/** The reference implementation refuses headers over 100 MB; checking first avoids decoding junk. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
/** Integers beyond ±2^53 have no exact float64 (JavaScript number) equivalent. */
const I64_LIMIT = 2n ** 53n;

/** One validated header entry, offsets relative to the data section. */
interface Entry { name: string; dtype: Dtype; shape: number[]; begin: number; end: number; }

/** Serialises tensors (in insertion order) and string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>,
    metadata: Record<string, string> = {}): Uint8Array {
  return encode(tensors, metadata, '<buffer>');
}

/** Parses and validates safetensors bytes; `source` names the file in errors. */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>'): Decoded {
  const fail: Fail = (what) => new Error(`corrupt safetensors file ${source}: ${what}`);
  if (bytes.length < 8) {
    throw fail(`it is ${bytes.length} bytes, too short to hold the 8-byte header length (empty or truncated file?)`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw fail(`header length ${headerLength} exceeds the ${bytes.length - 8} bytes after the length prefix (truncated `
      + `download?)`);
  }
  if (headerLength > MAX_HEADER_BYTES) {
    throw fail(`header length ${headerLength} exceeds the 100 MB limit (not a safetensors file?)`);
  }
  const n = Number(headerLength);
  const header = parseHeader(bytes.subarray(8, 8 + n), fail);
  const data = bytes.subarray(8 + n);
  const metadata = parseMetadata(header[METADATA_KEY], fail);
  // JSON key order is free, so entries are checked one by one and then sorted by offset for tiling.
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, raw]) => parseEntry(name, raw, data.length, fail));
  checkTiling(entries, data.length, fail);
  // Object.fromEntries (unlike `obj[name] = ...`) stores a tensor named "__proto__" as a plain property.
  const tensors = Object.fromEntries(entries.map((e): [string, LoadedTensor] =>
    [e.name, { dtype: e.dtype, shape: e.shape, data: readElements(e, data.subarray(e.begin, e.end), fail) }]));
  return { tensors, metadata };
}

/** Writes a safetensors file atomically (temp file in the same folder, fsync, rename). */
export async function saveSafetensors(path: string, tensors: Record<string, NamedTensor>,
    metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, encode(tensors, metadata, path));
}

/** Reads and validates a safetensors file; a missing file is an error that says so and names the path. */
export async function loadSafetensors(path: string): Promise<Decoded> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`safetensors file ${path} does not exist (check the path, or run the step that writes it first)`,
        { cause: err });
    }
    throw err;
  }
  return decodeSafetensors(bytes, path);
}

/** The encoder behind encodeSafetensors and saveSafetensors; `target` names the file in errors. */
function encode(tensors: Record<string, NamedTensor>, metadata: Record<string, string>, target: string): Uint8Array {
  const fail: Fail = (what) => new Error(`cannot write safetensors file ${target}: ${what}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw fail(`metadata "${key}" is ${describe(value)}; metadata values must be strings (JSON.stringify it first)`);
    }
  }
  // Object.entries is insertion order, except that integer-like names ("0", "12") come first: a
  // JavaScript property-order rule. Harmless, since the header records every tensor's offsets.
  const entries = Object.entries(tensors);
  const header: [string, unknown][] = Object.keys(metadata).length > 0 ? [[METADATA_KEY, metadata]] : [];
  let dataLength = 0;
  for (const [name, { shape, data }] of entries) {
    const bad: Fail = (what) => fail(`tensor "${name}" ${what}`);
    if (name === METADATA_KEY) throw fail(`"${METADATA_KEY}" is reserved for metadata; rename the tensor`);
    checkShape(shape, bad);
    if (data.length !== product(shape)) {
      throw bad(`has ${data.length} elements but shape [${shape}] needs ${product(shape)}`);
    }
    header.push([name, { dtype: dtypeOf(data, bad), shape, data_offsets: [dataLength, dataLength + data.byteLength] }]);
    dataLength += data.byteLength;
  }
  // Pad the JSON with spaces so the data section starts at a multiple of 8, as the reference writer
  // does; a reader that maps the file can then view every tensor in place.
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(header)));
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, { data }] of entries) {
    // A byte copy in host order, which is little-endian on every host we support.
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

/** The safetensors dtype of a typed array the writer accepts. */
function dtypeOf(data: unknown, bad: Fail): Dtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  throw bad(`has data that is ${describe(data)}; only Float32Array, Float64Array and Int32Array can be written`);
}

/** Decodes the header bytes as UTF-8 JSON and checks that it is an object. */
function parseHeader(raw: Uint8Array, fail: Fail): Record<string, unknown> {
  let text: string;
  try {
    // fatal: reject malformed UTF-8 instead of silently substituting U+FFFD.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw fail('the header is not valid UTF-8 (not a safetensors file?)');
  }
  let header: unknown;
  try {
    header = JSON.parse(text); // tolerates the trailing space padding
  } catch (err) {
    throw fail(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(header)) throw fail(`the header is ${describe(header)}, not a JSON object of tensor entries`);
  return header;
}

/** Checks the optional "__metadata__" entry: an object whose values are all strings. */
function parseMetadata(raw: unknown, fail: Fail): Record<string, string> {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw fail(`"${METADATA_KEY}" is ${describe(raw)}, not an object of strings`);
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw fail(`"${METADATA_KEY}" value "${key}" is ${describe(value)}, but metadata values must be strings`);
    }
  }
  return raw as Record<string, string>;
}

/** Checks one tensor entry on its own: dtype, shape, and offsets that fit the data section and the shape. */
function parseEntry(name: string, raw: unknown, dataLength: number, fail: Fail): Entry {
  const bad: Fail = (what) => fail(`tensor "${name}" ${what}`);
  if (!isObject(raw)) throw bad(`is ${describe(raw)}, not an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype)) {
    throw bad(`has unknown dtype ${JSON.stringify(dtype)} (this reader supports ${Object.keys(ITEM_SIZE).join(', ')})`);
  }
  checkShape(shape, bad);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw bad(`has data_offsets ${JSON.stringify(offsets)}; expected [begin, end], two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw bad(`has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end > dataLength) {
    throw bad(`has data_offsets [${begin}, ${end}] past the end of the ${dataLength}-byte data section (truncated `
      + `file?)`);
  }
  const expected = product(shape) * ITEM_SIZE[dtype as Dtype];
  if (end - begin !== expected) throw bad(`spans ${end - begin} bytes but ${dtype} shape [${shape}] needs ${expected}`);
  return { name, dtype: dtype as Dtype, shape, begin, end };
}

/** The entries, in offset order, must cover the data section exactly: each begins where the last ended. */
function checkTiling(entries: Entry[], dataLength: number, fail: Fail): void {
  // Sorting by end as well puts empty tensors before a tensor that starts at the same offset.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const e of sorted) {
    if (e.begin < covered) {
      throw fail(`tensor "${e.name}" (bytes ${e.begin}..${e.end}) overlaps tensor "${previous}", which ends at `
        + `${covered}`);
    }
    if (e.begin > covered) {
      throw fail(`bytes ${covered}..${e.begin} of the data section, before tensor "${e.name}", are a gap that belongs `
        + `to no tensor`);
    }
    covered = e.end;
    previous = e.name;
  }
  if (covered < dataLength) {
    throw fail(`${dataLength - covered} trailing bytes follow the last tensor (the data section is ${dataLength} `
      + `bytes, tensors cover ${covered})`);
  }
}

/** Copies a tensor's bytes into a fresh typed array: never a view, since the bytes may be misaligned. */
function readElements(e: Entry, raw: Uint8Array, fail: Fail): LoadedTensor['data'] {
  const count = raw.length / ITEM_SIZE[e.dtype];
  const le = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (e.dtype) {
    case 'F32': return copyBytes(new Float32Array(count), raw);
    case 'F64': return copyBytes(new Float64Array(count), raw);
    case 'I32': return copyBytes(new Int32Array(count), raw);
    case 'U8': case 'BOOL': return raw.slice();
    case 'F16': return Float32Array.from({ length: count }, (_, i) => halfToFloat(le.getUint16(2 * i, true)));
    case 'BF16': {
      // bfloat16 is the top half of a float32, so its bits shifted up 16 are the float32 exactly.
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = le.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const value = le.getBigInt64(8 * i, true);
        if (value > I64_LIMIT || value < -I64_LIMIT) {
          throw fail(`tensor "${e.name}" element ${i} is ${value}, beyond ±2^53, so no JavaScript number holds it `
            + `exactly`);
        }
        out[i] = Number(value);
      }
      return out;
    }
  }
}

/** IEEE 754 half precision bits to a number (exact: every half is a float32). NaN payloads are not kept. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals: no implicit leading 1
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Fills `out` with a byte copy of `raw` (host order, little-endian on every supported host). */
function copyBytes<T extends Float32Array | Float64Array | Int32Array>(out: T, raw: Uint8Array): T {
  new Uint8Array(out.buffer).set(raw);
  return out;
}

/** Throws unless `shape` is an array of non-negative integers. */
function checkShape(shape: unknown, bad: Fail): asserts shape is number[] {
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw bad(`has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
  }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const product = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** A short description of a value's kind, for error messages: "a number", "an array", "null". */
function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v !== 'object') return `a ${typeof v}`;
  const name = (v.constructor as { name?: string } | undefined)?.name ?? 'null-prototype object';
  return name === 'Object' ? 'an object' : `a ${name}`;
}
