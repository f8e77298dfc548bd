import assert from "node:assert/strict";
import { decodeSnapshot, encodeSnapshot, writeFileAtomicSync } from "../../core/serialize.ts";
import { Rng } from "../../core/rng.ts";

function randomF32(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** A nested value with typed arrays of every kind in several positions. */
function sample(): Record<string, unknown> {
  const rng = new Rng(1);
  return {
    version: 3,
    name: "run \u00e9\u6f22",
    nested: {
      a: randomF32(rng, 5),
      list: [Float64Array.from([Math.PI, -0, 1e-300]), {
        deep: Int32Array.from([-7, 0, 2 ** 31 - 1]),
      }],
      empty: new Float32Array(0),
    },
    bytes: Uint8Array.from([0, 1, 255, 128, 7]),
    u32: Uint32Array.from([0, 2 ** 32 - 1]),
    odd: randomF32(rng, 3), // 12 bytes: the next blob starts on an 8-byte boundary after padding
    after: Int32Array.from([1, 2, 3]),
    weights: {
      "policy/0": { shape: [2, 3], data: randomF32(rng, 6) },
      "policy/1": { shape: [3], data: randomF32(rng, 3) },
    },
    numbers: [NaN, Infinity, -Infinity, 0, -1.5],
    special: { nan: NaN, inf: Infinity, negInf: -Infinity },
    flags: [true, false, null],
    str: "",
  };
}

Deno.test("encodeSnapshot/decodeSnapshot round trip of nested typed arrays and numbers", () => {
  const value = sample();
  const bytes = encodeSnapshot(value);
  assert.ok(bytes instanceof Uint8Array);
  const back = decodeSnapshot(bytes) as Record<string, unknown>;
  // deepStrictEqual checks typed-array classes, contents, NaN and -0 (Object.is semantics).
  assert.deepEqual(back, value);
  const nested = back.nested as { a: unknown; list: unknown[] };
  assert.ok(nested.a instanceof Float32Array);
  assert.ok(nested.list[0] instanceof Float64Array);
  assert.ok((nested.list[1] as { deep: unknown }).deep instanceof Int32Array);
  assert.ok(back.bytes instanceof Uint8Array);
  assert.ok(back.u32 instanceof Uint32Array);
  const special = back.special as Record<string, number>;
  assert.ok(Number.isNaN(special.nan));
  assert.equal(special.inf, Infinity);
  assert.equal(special.negInf, -Infinity);
});

Deno.test("decodeSnapshot keeps many arrays in their positions (order is not mixed up)", () => {
  // Distinct lengths and contents so a permutation of blobs cannot go unnoticed.
  const value = {
    outer: [
      { x: Float32Array.from([1]), y: [Float32Array.from([2, 2]), Float32Array.from([3, 3, 3])] },
      { x: Float32Array.from([4, 4, 4, 4]), z: { w: Float32Array.from([5, 5, 5, 5, 5]) } },
    ],
    tail: Float32Array.from([6, 6, 6, 6, 6, 6]),
    head: Float64Array.from([7]),
  };
  const back = decodeSnapshot(encodeSnapshot(value));
  assert.deepEqual(back, value);
});

Deno.test("decodeSnapshot returns arrays that own their memory (not views of the file)", () => {
  const value = { a: Float32Array.from([1, 2, 3]) };
  const bytes = encodeSnapshot(value);
  const back = decodeSnapshot(bytes) as { a: Float32Array };
  bytes.fill(0);
  assert.deepEqual(back.a, Float32Array.from([1, 2, 3]));
  // Typed arrays that are views into a larger buffer encode only their own elements.
  const big = Float32Array.from([9, 8, 7, 6, 5]);
  const view = big.subarray(1, 4);
  assert.deepEqual(
    (decodeSnapshot(encodeSnapshot({ v: view })) as { v: Float32Array }).v,
    Float32Array.from([8, 7, 6]),
  );
});

Deno.test("decodeSnapshot reads from a Uint8Array at a non-zero byteOffset", () => {
  const value = { a: Float64Array.from([1.25, -2]), n: 3 };
  const bytes = encodeSnapshot(value);
  const padded = new Uint8Array(bytes.length + 5);
  padded.set(bytes, 5);
  assert.deepEqual(decodeSnapshot(padded.subarray(5)), value);
});

Deno.test("decodeSnapshot: truncated files throw a truncated/corrupted error", () => {
  const bytes = encodeSnapshot(sample());
  const cuts = [0, 1, 7, 8, 11, 12, 16, 40, Math.floor(bytes.length / 2), bytes.length - 5];
  cuts.push(bytes.length - 4, bytes.length - 1);
  for (const cut of cuts) {
    assert.throws(
      () => decodeSnapshot(bytes.slice(0, cut), "ckpt.bin"),
      (e: Error) => {
        assert.match(e.message, /^ckpt\.bin: /, `cut ${cut}: ${e.message}`);
        // Cuts inside the magic may be reported as a bad magic instead.
        assert.match(e.message, /truncated|corrupted|bad magic/, `cut ${cut}: ${e.message}`);
        if (cut >= 8) assert.match(e.message, /truncated|corrupted/, `cut ${cut}: ${e.message}`);
        return true;
      },
      `cut at ${cut} of ${bytes.length} did not throw`,
    );
  }
});

Deno.test("decodeSnapshot: one flipped byte anywhere throws", () => {
  const bytes = encodeSnapshot(sample());
  const positions = [8, 9, 12, 20, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2)];
  positions.push(bytes.length - 10, bytes.length - 4, bytes.length - 1);
  for (const pos of positions) {
    const bad = bytes.slice();
    bad[pos] ^= 0x10;
    assert.throws(
      () => decodeSnapshot(bad),
      /snapshot: .*(truncated|corrupted)/,
      `flip at ${pos} did not throw`,
    );
  }
});

Deno.test("decodeSnapshot: bad magic throws", () => {
  const bytes = encodeSnapshot({ a: 1 });
  const bad = bytes.slice();
  bad[0] = "X".charCodeAt(0);
  assert.throws(() => decodeSnapshot(bad, "policy.bin"), /policy\.bin: .*bad magic/);
  const text = new TextEncoder().encode('{"not": "a snapshot at all"}');
  assert.throws(() => decodeSnapshot(text), /bad magic/);
});

Deno.test("writeFileAtomicSync replaces content and leaves no temp file", () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_serialize_" });
  try {
    const path = `${dir}/data.bin`;
    writeFileAtomicSync(path, "first version, fairly long text\n");
    assert.equal(Deno.readTextFileSync(path), "first version, fairly long text\n");
    writeFileAtomicSync(path, "short");
    assert.equal(Deno.readTextFileSync(path), "short", "old bytes must not survive");
    const snap = encodeSnapshot({ w: Float32Array.from([1, 2]) });
    writeFileAtomicSync(path, snap);
    assert.deepEqual(Deno.readFileSync(path), snap);
    writeFileAtomicSync(path, new Uint8Array(0));
    assert.equal(Deno.readFileSync(path).length, 0);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(names, ["data.bin"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomicSync into a missing folder throws and creates nothing", () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_serialize_" });
  try {
    assert.throws(() => writeFileAtomicSync(`${dir}/missing/x.bin`, "x"));
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** FNV-1a over `bytes[0..end)`, the snapshot checksum. */
function fnv1a(bytes: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** Rewrites `from` to `to` (same length) in the header and re-signs the file. */
function forge(bytes: Uint8Array, from: string, to: string): Uint8Array {
  assert.equal(from.length, to.length);
  const out = bytes.slice();
  const text = new TextDecoder("latin1").decode(out);
  const at = text.indexOf(from);
  assert.ok(at > 0, `'${from}' not in the header`);
  out.set(new TextEncoder().encode(to), at);
  new DataView(out.buffer).setUint32(out.length - 4, fnv1a(out, out.length - 4), true);
  return out;
}

Deno.test("decodeSnapshot: a well-signed file with bad array descriptors still throws", () => {
  const bytes = encodeSnapshot({ a: Float32Array.from([1, 2, 3]) });
  assert.deepEqual(decodeSnapshot(forge(bytes, '"length":3', '"length":3')), {
    a: Float32Array.from([1, 2, 3]),
  });
  assert.throws(
    () => decodeSnapshot(forge(bytes, '"length":3', '"length":9')),
    /array data runs past the end of the file/,
  );
  assert.throws(
    () => decodeSnapshot(forge(bytes, '"kind":"f32"', '"kind":"f16"')),
    /unknown array kind 'f16'/,
  );
});
