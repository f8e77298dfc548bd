import assert from "node:assert/strict";
import { Rng } from "../../core/rng.ts";

function draws(rng: Rng, n: number, kind: "u32" | "uniform" | "normal" = "uniform"): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(kind === "u32" ? rng.nextUint32() : kind === "normal" ? rng.normal() : rng.uniform());
  }
  return out;
}

Deno.test("Rng: equal seeds give equal streams", () => {
  for (const seed of [0, 1, 42, 2 ** 32 - 1]) {
    const a = new Rng(seed);
    const b = new Rng(seed);
    assert.deepEqual(draws(a, 50, "u32"), draws(b, 50, "u32"));
    assert.deepEqual(draws(a, 50, "normal"), draws(b, 50, "normal"));
    assert.deepEqual(draws(a, 50), draws(b, 50));
  }
});

Deno.test("Rng: different seeds give different streams", () => {
  const streams = [0, 1, 2, 3, 1000, 123456789].map((s) => draws(new Rng(s), 8, "u32").join());
  assert.equal(new Set(streams).size, streams.length);
  // Neighbouring seeds should not be near-copies either: count equal positions.
  const a = draws(new Rng(7), 1000, "u32");
  const b = draws(new Rng(8), 1000, "u32");
  assert.ok(a.filter((x, i) => x === b[i]).length < 3);
});

Deno.test("Rng: nextUint32 yields unsigned 32-bit integers", () => {
  const rng = new Rng(5);
  let sawHigh = false;
  for (let i = 0; i < 1000; i++) {
    const x = rng.nextUint32();
    assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32, `bad uint32 ${x}`);
    if (x >= 2 ** 31) sawHigh = true;
  }
  assert.ok(sawHigh, "top bit never set");
});

Deno.test("Rng: state()/load() round trip continues identically", () => {
  const a = new Rng(99);
  draws(a, 17, "u32");
  const saved = a.state();
  const expected = [...draws(a, 20, "u32"), ...draws(a, 20, "normal"), ...draws(a, 20)];
  const b = new Rng(12345);
  b.load(saved);
  const got = [...draws(b, 20, "u32"), ...draws(b, 20, "normal"), ...draws(b, 20)];
  assert.deepEqual(got, expected);
});

Deno.test("Rng: state round trip keeps a pending Box-Muller spare", () => {
  const a = new Rng(3);
  a.normal(); // caches the spare
  const saved = a.state();
  assert.equal(typeof saved.spare, "number", "spare should be pending after one normal()");
  // A JSON round trip is how checkpoints carry it.
  const restored = JSON.parse(JSON.stringify(saved));
  const expected = draws(a, 11, "normal");
  const b = new Rng(0);
  b.load(restored);
  assert.deepEqual(draws(b, 11, "normal"), expected);
  // The saved state is a copy, not a live view.
  const c = new Rng(3);
  const s = c.state();
  c.nextUint32();
  assert.deepEqual(s, new Rng(3).state());
});

Deno.test("Rng: load clears a spare when the saved state has none", () => {
  const a = new Rng(8);
  const saved = a.state();
  assert.equal(saved.spare, null);
  const expected = draws(a, 6, "normal");
  const b = new Rng(9);
  b.normal(); // b now holds a spare that must not leak into the restored stream
  b.load(saved);
  assert.deepEqual(draws(b, 6, "normal"), expected);
});

Deno.test("Rng: load rejects malformed state", () => {
  const rng = new Rng(0);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => rng.load({ s: [1, 2, 3], spare: null } as any), /rng state/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => rng.load(null as any), /rng state/);
});

Deno.test("Rng: fork(label) is deterministic, label-dependent and leaves the parent alone", () => {
  const parent = new Rng(11);
  const before = parent.state();
  const x1 = draws(parent.fork("env"), 20, "u32");
  const x2 = draws(parent.fork("env"), 20, "u32");
  const y = draws(parent.fork("policy"), 20, "u32");
  assert.deepEqual(x1, x2);
  assert.notDeepEqual(x1, y);
  assert.deepEqual(parent.state(), before, "fork must not advance the parent");
  assert.notDeepEqual(x1, draws(new Rng(11), 20, "u32"), "fork equals the parent stream");
  // Same label under different parent seeds differs.
  assert.notDeepEqual(draws(new Rng(12).fork("env"), 20, "u32"), x1);
  // Same seed + label in a fresh generator reproduces.
  assert.deepEqual(draws(new Rng(11).fork("env"), 20, "u32"), x1);
  // Many labels all distinct.
  const labels = ["a", "b", "c", "vecenv", "replay", "policy-init", "ab", "ba"];
  const firsts = labels.map((l) => draws(parent.fork(l), 4, "u32").join());
  assert.equal(new Set(firsts).size, labels.length);
});

Deno.test("Rng: uniform lies in [0, 1) with mean ~0.5 and variance ~1/12", () => {
  const rng = new Rng(2024);
  const n = 20000;
  let sum = 0;
  let sumSq = 0;
  let min = 1;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1, `uniform out of range: ${u}`);
    sum += u;
    sumSq += u * u;
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  // sd of the mean is 0.289 / sqrt(20000) = 0.002
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 0.005, `variance ${variance}`);
  assert.ok(min < 0.001 && max > 0.999, `range [${min}, ${max}]`);
});

Deno.test("Rng: uniformRange maps into [low, high)", () => {
  const rng = new Rng(4);
  for (let i = 0; i < 2000; i++) {
    const x = rng.uniformRange(-3, 5);
    assert.ok(x >= -3 && x < 5, `${x}`);
  }
});

Deno.test("Rng: normal has mean ~0 and variance ~1 over 20k draws", () => {
  const rng = new Rng(77);
  const n = 20000;
  let sum = 0;
  let sumSq = 0;
  let sum4 = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    assert.ok(Number.isFinite(z));
    sum += z;
    sumSq += z * z;
    sum4 += z ** 4;
  }
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  // sd of the mean = 1/sqrt(20000) = 0.007; sd of the variance ~ sqrt(2/20000) = 0.01
  assert.ok(Math.abs(mean) < 0.035, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  // Kurtosis of a normal is 3 (a uniform-ish bug would give ~1.8).
  assert.ok(Math.abs(sum4 / n - 3) < 0.3, `fourth moment ${sum4 / n}`);
});

Deno.test("Rng: fillNormal fills the array with the same stream as normal()", () => {
  const out = new Rng(6).fillNormal(new Float32Array(9));
  const expected = Float32Array.from(draws(new Rng(6), 9, "normal"));
  assert.deepEqual(out, expected);
});

Deno.test("Rng: fillNormal of any length, between normal() calls, draws normal()'s stream and leaves its state", () => {
  // odd and even lengths start and end on a pending Box-Muller spare or not; the state
  // (spare included) must match the one-by-one draws after every call
  const [filled, oneByOne] = [new Rng(17), new Rng(17)];
  for (const n of [0, 1, 2, 3, 7, 8, 255, 256, 4352, 1]) {
    const out = filled.fillNormal(new Float32Array(n));
    const expected = Float32Array.from(draws(oneByOne, n, "normal"));
    assert.deepEqual(out, expected, `length ${n}`);
    assert.deepEqual(filled.state(), oneByOne.state(), `state after length ${n}`);
    assert.equal(filled.normal(), oneByOne.normal(), `normal() after length ${n}`);
  }
});

Deno.test("Rng: int(n) stays in [0, n) and hits every value", () => {
  const rng = new Rng(31);
  for (const n of [1, 2, 7, 100]) {
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const k = rng.int(n);
      assert.ok(Number.isInteger(k) && k >= 0 && k < n, `int(${n}) gave ${k}`);
      seen.add(k);
    }
    assert.equal(seen.size, n, `int(${n}) hit only ${seen.size} values`);
  }
});
