/**
 * The safetensors reader/writer in memory: round trips, a file built by hand from the spec, every rejection.
 * Files on disk and atomic writes: safetensors-files.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type Dtype, type NamedTensor } from '../src/io/safetensors.js';

/** A file assembled by hand from the spec: u64 little-endian header length, the header text, the data bytes. */
function buildFile(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Shorthand for rejection cases: a header object and a data section of `dataBytes` zero bytes. */
const fileWith = (header: unknown, dataBytes = 0): Uint8Array =>
  buildFile(JSON.stringify(header), new Uint8Array(dataBytes));
const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const headerLengthOf = (bytes: Uint8Array): number => Number(new DataView(bytes.buffer, bytes.byteOffset)
  .getBigUint64(0, true));
const DTYPE_OF = new Map<unknown, Dtype>([[Float32Array, 'F32'], [Float64Array, 'F64'], [Int32Array, 'I32']]);

describe('round trip', () => {
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  // Data is generated as bit patterns so NaN payloads survive: the special values, fast-check's floats, raw bits.
  const special = fc.constantFrom(NaN, -0, 0, Infinity, -Infinity);
  const f32Bits = fc.oneof(special, fc.float()).map((x) => new Uint32Array(new Float32Array([x]).buffer)[0]!);
  const f64Bits = fc.oneof(special, fc.double()).map((x) => Array.from(new Uint32Array(new Float64Array([x]).buffer)));
  const tensor: fc.Arbitrary<NamedTensor> = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })
      .chain((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const n = { minLength: size, maxLength: size };
    return fc.oneof(
      fc.array(fc.oneof(f32Bits, u32), n).map((bits) => ({ shape,
        data: new Float32Array(new Uint32Array(bits).buffer) })),
      fc.array(fc.oneof(f64Bits, fc.tuple(u32, u32)), n).map((pairs) =>
        ({ shape, data: new Float64Array(new Uint32Array(pairs.flat()).buffer) })),
      fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), n).map((v) => ({ shape, data: Int32Array.from(v) })),
    );
  });
  // Names and metadata mix ASCII (quotes, backslashes, control characters), lone surrogates and any code point.
  const char = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0xd800, max: 0xdfff }),
    fc.integer({ min: 0, max: 0x10ffff }))
    .map((c) => String.fromCodePoint(c));
  const text = fc.string({ unit: char, maxLength: 10 });
  const name = text.filter((s) => s !== '__metadata__');
  const tensors = fc.uniqueArray(fc.tuple(name, tensor), { selector: ([n]) => n, maxLength: 6 })
    .map((e) => Object.fromEntries(e));
  const metadata = fc.array(fc.tuple(text, text), { maxLength: 4 })
    .map((e) => Object.fromEntries(e));

  /** Checks that `got` holds exactly `want`'s tensors, bit for bit. */
  function expectSameTensors(got: ReturnType<typeof decodeSafetensors>['tensors'],
      want: Record<string, NamedTensor>): void {
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [key, t] of Object.entries(want)) {
      const loaded = got[key]!;
      expect(loaded.dtype).toBe(DTYPE_OF.get(t.data.constructor));
      expect(loaded.shape).toEqual(t.shape);
      expect(loaded.data.constructor).toBe(t.data.constructor);
      expect(bytesOf(loaded.data)).toEqual(bytesOf(t.data));
    }
  }

  it('decode(encode(x)) gives back every tensor bit for bit, and the metadata', () => {
    fc.assert(fc.property(tensors, metadata, (t, m) => {
      const decoded = decodeSafetensors(encodeSafetensors(t, m));
      expectSameTensors(decoded.tensors, t);
      expect(decoded.metadata).toEqual(m);
    }), { numRuns: 300 });
  });

  it('keeps NaN payloads, -0 and infinities, views with an offset, and a tensor named __proto__', () => {
    const backing = new Float32Array([9, 1, 2, 3, 9]);
    const input: Record<string, NamedTensor> = {
      specials32: { shape: [5], data: new Float32Array(new Uint32Array([0x7fc00000, 0x7fa00001, 0x80000000, 0x7f800000,
        0xff800000]).buffer) },
      specials64: { shape: [3], data: Float64Array.from([NaN, -0, -Infinity]) },
      view: { shape: [3], data: backing.subarray(1, 4) },
      ['__proto__']: { shape: [], data: Int32Array.of(-1) },
    };
    const decoded = decodeSafetensors(encodeSafetensors(input, { ['__proto__']: 'still metadata' }));
    expectSameTensors(decoded.tensors, input);
    expect(Object.hasOwn(decoded.tensors, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(decoded.tensors)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded.metadata, '__proto__') && decoded.metadata['__proto__']).toBe('still metadata');
  });
});

describe('reading a file built by hand from the spec', () => {
  // Data layout (byte ranges in the data section). Keys come in a different order in the header, and
  // several tensors start at offsets that are not a multiple of their item size.
  const data = new DataView(new ArrayBuffer(77));
  // 0..16
  [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0x7e00].forEach((h, i) => data.setUint16(2 * i, h, true));
  [0x3f80, 0xc040, 0x4049, 0xff80].forEach((h, i) => data.setUint16(16 + 2 * i, h, true)); // 16..24
  data.setFloat32(24, 1.5, true); // 24..32
  data.setFloat32(28, -0.25, true);
  data.setBigInt64(32, -(2n ** 53n), true); // 32..48
  data.setBigInt64(40, 2n ** 53n - 1n, true);
  [-7, 0, 2147483647].forEach((v, i) => data.setInt32(48 + 4 * i, v, true)); // 48..60
  data.setFloat64(60, Math.PI, true); // 60..68
  [0, 128, 255, 1, 0].forEach((v, i) => data.setUint8(68 + i, v)); // U8 68..71, BOOL 71..73
  data.setFloat32(73, 42, true); // 73..77
  const header = `{
    "int64": {"dtype": "I64", "shape": [2], "data_offsets": [32, 48]},
    "half": {"dtype": "F16", "shape": [2, 4], "data_offsets": [0, 16]},
    "__metadata__": {"format": "pt", "note": "built by hand"},
    "empty": {"dtype": "F32", "shape": [0, 3], "data_offsets": [77, 77]},
    "brain": {"dtype": "BF16", "shape": [4], "data_offsets": [16, 24]},
    "double": {"dtype": "F64", "shape": [1], "data_offsets": [60, 68]},
    "single": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]},
    "scalar": {"dtype": "F32", "shape": [], "data_offsets": [73, 77]},
    "flags": {"dtype": "BOOL", "shape": [2], "data_offsets": [71, 73]},
    "int32": {"dtype": "I32", "shape": [3], "data_offsets": [48, 60]},
    "bytes": {"dtype": "U8", "shape": [3], "data_offsets": [68, 71]}
  }`;
  // Trailing-space padding to a length of 1 mod 8, so even the data section itself is misaligned.
  const file = buildFile(header + ' '.repeat((9 - (header.length % 8)) % 8), new Uint8Array(data.buffer));
  const expected: Record<string, [Dtype, number[], Function, number[]]> = {
    half: ['F16', [2, 4], Float32Array, [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, NaN]],
    brain: ['BF16', [4], Float32Array, [1, -3, 3.140625, -Infinity]],
    single: ['F32', [2], Float32Array, [1.5, -0.25]],
    int64: ['I64', [2], Float64Array, [-(2 ** 53), 2 ** 53 - 1]],
    int32: ['I32', [3], Int32Array, [-7, 0, 2147483647]],
    double: ['F64', [1], Float64Array, [Math.PI]],
    bytes: ['U8', [3], Uint8Array, [0, 128, 255]],
    flags: ['BOOL', [2], Uint8Array, [1, 0]],
    scalar: ['F32', [], Float32Array, [42]],
    empty: ['F32', [0, 3], Float32Array, []],
  };

  it('decodes every dtype to the expected values, and the metadata', () => {
    expect(headerLengthOf(file) % 8).toBe(1);
    // Also decode from a view at an odd offset into a larger buffer, as a slice of a bigger read would be.
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    for (const bytes of [file, shifted.subarray(3)]) {
      const { tensors, metadata } = decodeSafetensors(bytes);
      expect(metadata).toEqual({ format: 'pt', note: 'built by hand' });
      expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected).sort());
      for (const [name, [dtype, shape, type, values]] of Object.entries(expected)) {
        const t = tensors[name]!;
        expect([name, t.dtype, t.shape, t.data.constructor]).toEqual([name, dtype, shape, type]);
        expect(Array.from(t.data)).toEqual(values); // toEqual tells -0 from 0 and matches NaN with NaN
      }
      expect(Object.is(tensors.half!.data[5], -0)).toBe(true);
    }
  });
});

describe('writing', () => {
  it('pads the header with spaces so the data section starts at a multiple of 8, and lays data out in '
    + 'insertion order', () => {
    for (let length = 1; length <= 16; length++) {
      const name = 'w'.repeat(length);
      const bytes = encodeSafetensors({ [name]: { shape: [1], data: Float32Array.of(1) },
        b: { shape: [2], data: Int32Array.of(2, 3) } });
      const n = headerLengthOf(bytes);
      expect((8 + n) % 8).toBe(0);
      expect(bytes.length).toBe(8 + n + 12);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(text.slice(text.trimEnd().length)).toMatch(/^ {0,7}$/);
      expect(JSON.parse(text)).toEqual({
        [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        b: { dtype: 'I32', shape: [2], data_offsets: [4, 12] },
      });
    }
  });

  it.each<[string, () => unknown, RegExp]>([
    ['data and shape disagree', () => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }),
      /tensor "w" has 3 elements but shape \[2,2\] needs 4/],
    ['an unsupported array type', () => encodeSafetensors({ w: { shape: [1], data: new Uint8Array(1) as never } }),
      /tensor "w" has data that is a Uint8Array/],
    ['a bad shape', () => encodeSafetensors({ w: { shape: [-1], data: new Float32Array(0) } }),
      /tensor "w" has shape \[-1\]/],
    ['the reserved name', () => encodeSafetensors({ __metadata__: { shape: [], data: Float32Array.of(0) } }),
      /"__metadata__" is reserved/],
    ['non-string metadata', () => encodeSafetensors({}, { step: 3 as never }), /metadata "step" is a number/],
  ])('refuses %s', (_, write, message) => {
    expect(write).toThrow(/^cannot write safetensors file <buffer>: /);
    expect(write).toThrow(message);
  });
});

describe('rejecting corrupt files', () => {
  const SOURCE = 'results/copy/sae-seed42.safetensors';
  const hugeLength = new Uint8Array(18);
  new DataView(hugeLength.buffer).setBigUint64(0, 1000n, true);
  const big = new Uint8Array(8);
  new DataView(big.buffer).setBigInt64(0, 2n ** 53n + 1n, true);
  it.each<[string, Uint8Array, RegExp]>([
    ['fewer than 8 bytes', new Uint8Array(5), /it is 5 bytes, too short to hold the 8-byte header length/],
    ['a header length beyond the file', hugeLength,
      /header length 1000 exceeds the 10 bytes after the length prefix \(truncated download\?\)/],
    ['truncated data', fileWith({ w: f32([4], 0, 16) }, 8),
      /tensor "w" has data_offsets \[0, 16\] past the end of the 8-byte data section/],
    ['invalid UTF-8', buildFile(Uint8Array.of(0x7b, 0xff, 0x7d)), /the header is not valid UTF-8/],
    ['invalid JSON', buildFile('{"w": {"dtype": '), /the header is not valid JSON/],
    ['a header that is an array', buildFile('[1, 2]'), /the header is an array, not a JSON object/],
    ['a header that is null', buildFile('null'), /the header is null, not a JSON object/],
    ['an entry that is not an object', fileWith({ w: 3 }), /tensor "w" is a number, not an object/],
    ['an unknown dtype', fileWith({ w: { ...f32([1], 0, 1), dtype: 'F8' } }, 1), /tensor "w" has unknown dtype "F8"/],
    ['a missing dtype', fileWith({ w: { shape: [1], data_offsets: [0, 4] } }, 4),
      /tensor "w" has unknown dtype undefined/],
    ['offsets that disagree with the shape', fileWith({ w: f32([3], 0, 8) }, 8),
      /tensor "w" spans 8 bytes but F32 shape \[3\] needs 12/],
    ['overlapping entries', fileWith({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12),
      /tensor "b" \(bytes 4\.\.12\) overlaps tensor "a", which ends at 8/],
    ['an empty entry inside another', fileWith({ a: f32([2], 0, 8), e: f32([0], 4, 4) }, 8),
      /tensor "e" \(bytes 4\.\.4\) overlaps tensor "a", which ends at 8/],
    ['a gap', fileWith({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12),
      /bytes 4\.\.8 of the data section, before tensor "b", are a gap/],
    ['trailing bytes', fileWith({ a: f32([1], 0, 4) }, 8), /4 trailing bytes follow the last tensor/],
    ['non-string metadata', fileWith({ __metadata__: { epoch: 3 } }),
      /"__metadata__" value "epoch" is a number, but metadata values must be strings/],
    ['metadata that is not an object', fileWith({ __metadata__: 'x' }),
      /"__metadata__" is a string, not an object of strings/],
    ['a negative dimension', fileWith({ w: f32([-1], 0, 0) }),
      /tensor "w" has shape \[-1\]; expected an array of non-negative integers/],
    ['a fractional dimension', fileWith({ w: f32([1.5], 0, 6) }, 6), /tensor "w" has shape \[1\.5\]/],
    ['a shape that is not an array', fileWith({ w: { ...f32([], 0, 4), shape: 4 } }, 4), /tensor "w" has shape 4/],
    ['offsets that are not a pair', fileWith({ w: { ...f32([], 0, 4), data_offsets: [4] } }, 4),
      /tensor "w" has data_offsets \[4\]; expected \[begin, end\]/],
    ['offsets that end before they begin', fileWith({ w: f32([0], 4, 0) }, 4),
      /tensor "w" has data_offsets \[4, 0\] that end before they begin/],
    ['an I64 beyond 2^53', buildFile('{"big": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}', big),
      /tensor "big" element 0 is 9007199254740993, beyond ±2\^53/],
  ])('rejects %s', (_, bytes, message) => {
    const decode = () => decodeSafetensors(bytes, SOURCE);
    expect(decode).toThrow(/^corrupt safetensors file results\/copy\/sae-seed42\.safetensors: /);
    expect(decode).toThrow(message);
  });

  it('accepts empty tensors at any offset, listed in any order, and a header with no entries', () => {
    const { tensors } = decodeSafetensors(fileWith({ a: f32([1], 0, 4), e: f32([0], 0, 0), z: f32([2, 0], 4, 4) }, 4));
    expect(Object.keys(tensors).sort()).toEqual(['a', 'e', 'z']);
    expect(decodeSafetensors(buildFile('{}'))).toEqual({ tensors: {}, metadata: {} });
  });

  it('rejects a header length over 100 MB even when the file is that big', () => {
    const bytes = new Uint8Array(8 + 100_000_001);
    new DataView(bytes.buffer).setBigUint64(0, 100_000_001n, true);
    expect(() => decodeSafetensors(bytes))
      .toThrow(/^corrupt safetensors file <buffer>: header length 100000001 exceeds the 100 MB limit/);
  });
});
