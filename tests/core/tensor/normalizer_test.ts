import assert from "node:assert/strict";
import {
  ObsNormalizer,
  ReturnNormalizer,
  RunningMeanStd,
} from "../../../core/tensor/normalizer.ts";
import { Rng } from "../../../core/rng.ts";

/** `rows` vectors of size 3 with per-dimension offsets and scales. */
function data(rng: Rng, rows: number): Float64Array {
  const offsets = [0.5, -0.3, 2];
  const scales = [1, 0.5, 2];
  const out = new Float64Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < 3; d++) out[r * 3 + d] = offsets[d] + scales[d] * rng.normal();
  }
  return out;
}

function concat(chunks: Float64Array[]): Float64Array {
  const out = new Float64Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Mean and (population) variance per dimension, plus a pseudo-sample of mean 0, var 1. */
function stats(all: Float64Array, size: number, pseudoCount: number) {
  const rows = all.length / size;
  const total = rows + pseudoCount;
  const mean = new Array(size).fill(0);
  for (let r = 0; r < rows; r++) for (let d = 0; d < size; d++) mean[d] += all[r * size + d];
  for (let d = 0; d < size; d++) mean[d] /= total;
  const variance = mean.map((m) => pseudoCount * (1 + m * m)); // the pseudo-sample's M2 about m
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < size; d++) variance[d] += (all[r * size + d] - mean[d]) ** 2;
  }
  return { mean, var: variance.map((v) => v / total), count: total };
}

function assertRelClose(actual: ArrayLike<number>, expected: number[], rtol: number, what: string) {
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1e-12, Math.abs(expected[i]));
    assert.ok(err <= rtol, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (rel ${err})`);
  }
}

const BATCHES = [1, 7, 100, 3, 1000, 1, 64];

Deno.test("RunningMeanStd: batched updates equal the statistics of all data", () => {
  const rng = new Rng(5);
  const rms = new RunningMeanStd(3);
  assert.deepEqual(Array.from(rms.mean), [0, 0, 0]);
  assert.deepEqual(Array.from(rms.var), [1, 1, 1]);
  assert.equal(rms.count, 1e-4);
  const chunks = BATCHES.map((rows) => data(rng, rows));
  for (const c of chunks) rms.update(c, c.length / 3);
  const all = concat(chunks);
  const n = all.length / 3;
  assert.ok(Math.abs(rms.count - (n + 1e-4)) < 1e-9);
  // Exact against the data plus the 1e-4 pseudo-sample (mean 0, var 1)...
  const exact = stats(all, 3, 1e-4);
  assertRelClose(rms.mean, exact.mean, 1e-9, "mean (with pseudo-count)");
  assertRelClose(rms.var, exact.var, 1e-9, "var (with pseudo-count)");
  // ...and within 1e-6 of the plain statistics, the pseudo-count being tiny (its relative
  // effect on the variance is about 1e-4 * (1 + mean^2) / (n * var), below 4e-7 here).
  const plain = stats(all, 3, 0);
  assertRelClose(rms.mean, plain.mean, 1e-6, "mean");
  assertRelClose(rms.var, plain.var, 1e-6, "var");
  // Sanity: the data really have the intended, distinct statistics.
  assert.ok(Math.abs(plain.mean[2] - 2) < 0.2 && Math.abs(plain.var[1] - 0.25) < 0.03);
});

Deno.test("RunningMeanStd: batch order does not matter; epsilon 0 gives plain statistics", () => {
  const rng = new Rng(6);
  const chunks = BATCHES.map((rows) => data(rng, rows));
  const a = new RunningMeanStd(3, 0);
  const b = new RunningMeanStd(3, 0);
  for (const c of chunks) a.update(c, c.length / 3);
  for (const c of [...chunks].reverse()) b.update(c, c.length / 3);
  const plain = stats(concat(chunks), 3, 0);
  assertRelClose(a.mean, plain.mean, 1e-10, "mean eps=0");
  assertRelClose(a.var, plain.var, 1e-10, "var eps=0");
  assertRelClose(b.mean, Array.from(a.mean), 1e-10, "mean reversed");
  assertRelClose(b.var, Array.from(a.var), 1e-10, "var reversed");
  // One big batch equals many small ones.
  const c = new RunningMeanStd(3, 0);
  const all = concat(chunks);
  c.update(all, all.length / 3);
  assertRelClose(c.var, Array.from(a.var), 1e-10, "var single batch");
});

Deno.test("RunningMeanStd: empty batch is a no-op; reads only `rows` rows", () => {
  const rms = new RunningMeanStd(2);
  rms.update(Float32Array.from([1, 2, 3, 4]), 0);
  assert.equal(rms.count, 1e-4);
  assert.deepEqual(Array.from(rms.var), [1, 1]);
  const r2 = new RunningMeanStd(2, 0);
  r2.update(Float32Array.from([1, 2, 3, 4, 1000, 1000]), 2);
  assert.deepEqual(Array.from(r2.mean), [2, 3]);
  assert.deepEqual(Array.from(r2.var), [1, 1]);
  assert.equal(r2.count, 2);
});

Deno.test("RunningMeanStd: state round trip continues identically; size mismatch errors", () => {
  const rng = new Rng(7);
  const a = new RunningMeanStd(3);
  a.update(data(rng, 20), 20);
  const saved = JSON.parse(JSON.stringify(a.state()));
  const b = new RunningMeanStd(3);
  b.load(saved);
  assert.deepEqual(b.state(), a.state());
  const more = data(rng, 9);
  a.update(more, 9);
  b.update(more, 9);
  assert.deepEqual(b.state(), a.state());
  // state() is a copy.
  const s = a.state();
  a.update(data(rng, 3), 3);
  assert.notDeepEqual(a.state(), s);
  assert.throws(() => new RunningMeanStd(2).load(saved), /size 3, expected 2/);
});

Deno.test("ObsNormalizer: standardises with eps and clips", () => {
  const norm = new ObsNormalizer(2, true, 5);
  norm.stats.load({ mean: [1, -2], var: [4, 0.01], count: 10 });
  const x = Float32Array.from([3, -2, 1, 100, -1, -2.5, 1e6, -1e6]);
  const out = norm.apply(x);
  const z = (v: number, m: number, s2: number) => (v - m) / Math.sqrt(s2 + 1e-8);
  const expected = [
    z(3, 1, 4),
    0,
    0,
    5, // clipped
    z(-1, 1, 4),
    -5, // (-0.5 / 0.1) = -5 exactly at the clip
    5,
    -5,
  ];
  expected.forEach((e, i) => assert.ok(Math.abs(out[i] - e) < 1e-5, `[${i}] ${out[i]} vs ${e}`));
  assert.ok(out !== x);
  assert.equal(x[0], 3, "input untouched");
  // `out` parameter is used.
  const buf = new Float32Array(2);
  assert.equal(norm.apply(Float32Array.from([1, -2]), buf), buf);
  assert.deepEqual(Array.from(buf), [0, 0]);
  // Default clip is 10.
  const d = new ObsNormalizer(1, true);
  assert.equal(d.clip, 10);
  assert.deepEqual(Array.from(d.apply(Float32Array.from([50, -50, 3]))), [10, -10, 3]);
});

Deno.test("ObsNormalizer: update changes stats only when enabled", () => {
  const on = new ObsNormalizer(1, true);
  on.update(Float32Array.from([10, 12]), 2);
  assert.ok(Math.abs(on.stats.mean[0] - 11) < 1e-3);
  const off = new ObsNormalizer(1, false);
  off.update(Float32Array.from([10, 12]), 2);
  assert.deepEqual(off.stats.state(), new RunningMeanStd(1).state());
});

Deno.test("ObsNormalizer: disabled is the identity (a copy, no clipping)", () => {
  const norm = new ObsNormalizer(2, false, 1);
  norm.stats.load({ mean: [5, 5], var: [9, 9], count: 3 });
  const x = Float32Array.from([100, -7, 0.25, 3]);
  const out = norm.apply(x);
  assert.deepEqual(out, x);
  assert.notEqual(out, x);
  out[0] = 0;
  assert.equal(x[0], 100);
});

Deno.test("ReturnNormalizer: scales by the running std of the discounted return", () => {
  const rn = new ReturnNormalizer(2, 0.9);
  assert.equal(rn.clip, 10);
  const history: number[] = [];
  const step = (r: number[], term: number[], expectedG: number[]) => {
    const reward = Float32Array.from(r);
    rn.normalize(reward, Uint8Array.from(term));
    assertRelClose(rn.discounted, expectedG, 1e-12, "discounted");
    history.push(...expectedG);
    const v = stats(Float64Array.from(history), 1, 1e-4).var[0];
    const expected = r.map((x) => x / Math.sqrt(v + 1e-8));
    assertRelClose(reward, expected, 1e-6, "scaled reward");
  };
  step([1, 2], [0, 0], [1, 2]);
  // G <- gamma * G * (1 - terminated) + r: env 0 terminated on this step.
  step([0.5, -1], [1, 0], [0.5, 0.9 * 2 - 1]);
  step([1, 1], [0, 0], [0.9 * 0.5 + 1, 0.9 * 0.8 + 1]);
});

Deno.test("ReturnNormalizer: clips and round-trips its state", () => {
  const rn = new ReturnNormalizer(2, 0.99, 0.5);
  const reward = Float32Array.from([3, -3]);
  rn.normalize(reward, Uint8Array.from([0, 0]));
  assert.deepEqual(Array.from(reward), [0.5, -0.5]);

  const a = new ReturnNormalizer(2, 0.9);
  a.normalize(Float32Array.from([1, -2]), Uint8Array.from([0, 0]));
  a.normalize(Float32Array.from([0.5, 0.5]), Uint8Array.from([0, 1]));
  const b = new ReturnNormalizer(2, 0.9);
  b.load(JSON.parse(JSON.stringify(a.state())));
  const ra = Float32Array.from([0.3, 0.7]);
  const rb = ra.slice();
  a.normalize(ra, Uint8Array.from([1, 0]));
  b.normalize(rb, Uint8Array.from([1, 0]));
  assert.deepEqual(rb, ra);
  assert.deepEqual(b.state(), a.state());
});

Deno.test("ObsNormalizer.tensor: the normalised rows, never a view of the caller's array", async () => {
  const { tf, useBackend } = await import("../../../core/tensor/mod.ts");
  const before = tf.getBackend();
  try {
    for (const backend of ["wasm", "cpu"] as const) {
      await useBackend(backend);
      for (const enabled of [false, true]) {
        const norm = new ObsNormalizer(3, enabled);
        const rows = Float32Array.from(data(new Rng(4), 5));
        norm.update(rows, 5);
        const t = norm.tensor(rows);
        assert.deepEqual(t.shape, [5, 3]);
        const expected = norm.apply(rows);
        rows.fill(123); // a reused batch array is overwritten by the next sample
        assert.deepEqual(t.dataSync(), expected, `${backend}, enabled ${enabled}`);
        t.dispose();
      }
    }
  } finally {
    if (before) await tf.setBackend(before);
  }
});
