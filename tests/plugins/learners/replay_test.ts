import assert from "node:assert/strict";
import { ReplayBuffer } from "../../../plugins/learners/replay.ts";
import { Rng } from "../../../core/rng.ts";
import { decodeSnapshot, encodeSnapshot } from "../../../core/serialize.ts";

const LAYOUT = { obs: 3, action: 2, reward: 1 };

/** Transition k: obs [k, k + 0.25, k + 0.5], action [-k, 2k], reward 10k. */
function transition(k: number) {
  return { obs: [k, k + 0.25, k + 0.5], action: [-k, 2 * k], reward: [10 * k] };
}

/** Checks every sampled row is one whole transition and returns the ids it saw. */
function checkRows(batch: Record<string, Float32Array>, n: number): number[] {
  const ids: number[] = [];
  for (let b = 0; b < n; b++) {
    const k = batch.obs[b * 3];
    assert.deepEqual(Array.from(batch.obs.subarray(b * 3, b * 3 + 3)), [k, k + 0.25, k + 0.5]);
    assert.deepEqual(Array.from(batch.action.subarray(b * 2, b * 2 + 2)), [-k, 2 * k]);
    assert.equal(batch.reward[b], 10 * k, `row ${b}: reward does not match obs`);
    ids.push(k);
  }
  return ids;
}

Deno.test("ReplayBuffer: add and sample shapes", () => {
  const buf = new ReplayBuffer(10, LAYOUT);
  assert.equal(buf.size, 0);
  assert.equal(buf.capacity, 10);
  assert.throws(() => buf.sample(4, new Rng(0)), /buffer is empty/);
  for (let k = 1; k <= 3; k++) buf.add(transition(k));
  assert.equal(buf.size, 3);
  const batch = buf.sample(5, new Rng(0));
  assert.deepEqual(Object.keys(batch).sort(), ["action", "obs", "reward"]);
  assert.equal(batch.obs.length, 15);
  assert.equal(batch.action.length, 10);
  assert.equal(batch.reward.length, 5);
  assert.ok(batch.obs instanceof Float32Array);
  const ids = checkRows(batch, 5);
  assert.ok(ids.every((k) => k >= 1 && k <= 3), `sampled unfilled rows: ${ids}`);
});

Deno.test("ReplayBuffer: add reads row `row` of batched (vec env) arrays", () => {
  const buf = new ReplayBuffer(4, LAYOUT);
  // Two env rows side by side, as VecEnv produces them.
  const t1 = transition(1);
  const t2 = transition(2);
  const values = {
    obs: [...t1.obs, ...t2.obs],
    action: [...t1.action, ...t2.action],
    reward: [...t1.reward, ...t2.reward],
  };
  buf.add(values, 1);
  buf.add(values, 0);
  const s = buf.state();
  assert.deepEqual(Array.from(s.data.obs), [...t2.obs, ...t1.obs]);
  assert.deepEqual(Array.from(s.data.reward), [20, 10]);
});

Deno.test("ReplayBuffer: the ring wraps and overwrites the oldest rows", () => {
  const buf = new ReplayBuffer(4, LAYOUT);
  for (let k = 1; k <= 6; k++) buf.add(transition(k));
  assert.equal(buf.size, 4);
  const s = buf.state();
  assert.equal(s.next, 2);
  assert.equal(s.size, 4);
  // Physical order: 5 and 6 replaced 1 and 2.
  assert.deepEqual(Array.from(s.data.reward), [50, 60, 30, 40]);
  const seen = new Set(checkRows(buf.sample(400, new Rng(3)), 400));
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6], "every live row and only those");
  // Exactly a capacity's worth more wraps back to the same cursor.
  for (let k = 7; k <= 10; k++) buf.add(transition(k));
  assert.equal(buf.state().next, 2);
  assert.deepEqual(Array.from(buf.state().data.reward), [90, 100, 70, 80]);
});

Deno.test("ReplayBuffer: sampled rows are consistent across fields and roughly uniform", () => {
  const buf = new ReplayBuffer(50, LAYOUT);
  for (let k = 0; k < 20; k++) buf.add(transition(k));
  const counts = new Array(20).fill(0);
  for (const k of checkRows(buf.sample(4000, new Rng(11)), 4000)) counts[k]++;
  // Expected 200 each; binomial sd ~14.
  assert.ok(counts.every((c) => c > 130 && c < 270), `counts ${counts}`);
});

Deno.test("ReplayBuffer: sampling is deterministic in the generator; arrays are reused", () => {
  const buf = new ReplayBuffer(8, LAYOUT);
  for (let k = 0; k < 8; k++) buf.add(transition(k));
  const a = Array.from(buf.sample(6, new Rng(5)).reward);
  const first = buf.sample(6, new Rng(5));
  assert.deepEqual(Array.from(first.reward), a);
  const second = buf.sample(6, new Rng(6));
  assert.equal(second.reward, first.reward, "same batch size reuses the arrays");
  assert.notDeepEqual(Array.from(second.reward), a);
  const other = buf.sample(3, new Rng(5));
  assert.equal(other.reward.length, 3);
  checkRows(other, 3);
});

/** Round trips the state through a checkpoint's encoding. */
function roundTrip(buf: ReplayBuffer): ReturnType<ReplayBuffer["state"]> {
  return decodeSnapshot(encodeSnapshot(buf.state())) as ReturnType<ReplayBuffer["state"]>;
}

for (const added of [3, 11]) {
  Deno.test(`ReplayBuffer: state()/load() round trip (${added} adds into capacity 5)`, () => {
    const a = new ReplayBuffer(5, LAYOUT);
    for (let k = 1; k <= added; k++) a.add(transition(k));
    const live = a.state();
    const saved = roundTrip(a);
    assert.equal(saved.size, Math.min(added, 5));
    assert.equal(saved.data.obs.length, saved.size * 3, "only the filled part is saved");
    const b = new ReplayBuffer(5, LAYOUT);
    // Stale content in the target must not matter.
    for (let k = 100; k < 104; k++) b.add(transition(k));
    b.load(saved);
    assert.equal(b.size, a.size);
    assert.deepEqual(b.state(), a.state());
    assert.deepEqual(
      Array.from(b.sample(30, new Rng(9)).reward),
      Array.from(a.sample(30, new Rng(9)).reward),
    );
    // Both continue writing at the same cursor.
    a.add(transition(50));
    b.add(transition(50));
    assert.deepEqual(b.state(), a.state());
    // state() was a snapshot: the add above did not change it.
    assert.deepEqual(live, saved);
    checkRows(b.sample(100, new Rng(1)), 100);
  });
}

Deno.test("ReplayBuffer: load rejects oversize or malformed state", () => {
  const a = new ReplayBuffer(6, LAYOUT);
  for (let k = 0; k < 6; k++) a.add(transition(k));
  const saved = a.state();
  assert.throws(
    () => new ReplayBuffer(4, LAYOUT).load(saved),
    /holds 6 transitions, capacity is 4/,
  );
  const missing = { ...saved, data: { obs: saved.data.obs, action: saved.data.action } };
  assert.throws(() => new ReplayBuffer(6, LAYOUT).load(missing), /field 'reward'/);
  const short = { ...saved, data: { ...saved.data, action: saved.data.action.slice(1) } };
  assert.throws(() => new ReplayBuffer(6, LAYOUT).load(short), /field 'action'/);
});

Deno.test("ReplayBuffer: a full buffer loaded into a larger one appends, oldest first", () => {
  // exactly full: continuing in the larger buffer equals having had it from the start
  const small = new ReplayBuffer(5, LAYOUT);
  const big = new ReplayBuffer(9, LAYOUT);
  for (let k = 1; k <= 5; k++) {
    small.add(transition(k));
    big.add(transition(k));
  }
  const grown = new ReplayBuffer(9, LAYOUT);
  grown.load(roundTrip(small));
  for (const buf of [grown, big]) buf.add(transition(6));
  assert.deepEqual(grown.state(), big.state());
  // wrapped: the kept transitions come oldest first and the next one follows them
  const wrapped = new ReplayBuffer(5, LAYOUT);
  for (let k = 1; k <= 7; k++) wrapped.add(transition(k));
  const larger = new ReplayBuffer(9, LAYOUT);
  larger.load(roundTrip(wrapped));
  larger.add(transition(8));
  assert.deepEqual(Array.from(larger.state().data.reward), [30, 40, 50, 60, 70, 80]);
});
