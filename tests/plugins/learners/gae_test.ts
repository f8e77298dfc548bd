import assert from "node:assert/strict";
import { computeGae } from "../../../plugins/learners/gae.ts";
import { Rng } from "../../../core/rng.ts";

function assertAllClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`,
    );
  }
}

Deno.test("computeGae: hand-computed 3-step, 2-env example", () => {
  // Time-major: index t * 2 + e.
  // env 0: rewards 1, 2, 3; values 0.5, 1, 1.5; done at t=1; bootstraps from nextValues[0] = 2.
  // env 1: rewards 0, -1, 0.5; values 0.2, -0.3, 0.4; done at t=2, so nextValues[1] is ignored.
  const rollout = {
    rewards: Float32Array.from([1, 0, 2, -1, 3, 0.5]),
    values: Float32Array.from([0.5, 0.2, 1, -0.3, 1.5, 0.4]),
    dones: Uint8Array.from([0, 0, 1, 0, 0, 1]),
    nextValues: Float32Array.from([2, 10]),
  };
  const { advantages, returns } = computeGae(rollout, { numEnvs: 2, gamma: 0.9, lambda: 0.8 });
  // env 0: t=2: d = 3 + 0.9*2 - 1.5 = 3.3             A = 3.3
  //        t=1: d = 2 - 1 = 1 (done)                  A = 1
  //        t=0: d = 1 + 0.9*1 - 0.5 = 1.4             A = 1.4 + 0.72*1 = 2.12
  // env 1: t=2: d = 0.5 - 0.4 = 0.1 (done)            A = 0.1
  //        t=1: d = -1 + 0.9*0.4 + 0.3 = -0.34        A = -0.34 + 0.72*0.1 = -0.268
  //        t=0: d = 0 + 0.9*(-0.3) - 0.2 = -0.47      A = -0.47 + 0.72*(-0.268) = -0.66296
  const expectedAdv = [2.12, -0.66296, 1, -0.268, 3.3, 0.1];
  assertAllClose(advantages, expectedAdv, 1e-6, "advantages");
  const expectedRet = expectedAdv.map((a, i) => a + rollout.values[i]);
  assertAllClose(returns, expectedRet, 1e-6, "returns");
  assert.ok(advantages instanceof Float32Array && returns instanceof Float32Array);
  // Inputs untouched.
  assert.deepEqual(Array.from(rollout.dones), [0, 0, 1, 0, 0, 1]);
});

Deno.test("computeGae: bootstraps from nextValues when the last step is not done", () => {
  const base = {
    rewards: Float32Array.from([1, 1]),
    values: Float32Array.from([0, 0]),
    dones: Uint8Array.from([0, 0]),
  };
  const opts = { numEnvs: 1, gamma: 0.5, lambda: 1 };
  const a = computeGae({ ...base, nextValues: Float32Array.from([0]) }, opts);
  const b = computeGae({ ...base, nextValues: Float32Array.from([8]) }, opts);
  // returns[0] = 1 + 0.5 * 1 + 0.25 * V_next
  assertAllClose(a.returns, [1.5, 1], 1e-7, "no bootstrap");
  assertAllClose(b.returns, [3.5, 5], 1e-7, "bootstrap 8");
});

/** A random rollout with episode ends sprinkled in. */
function randomRollout(seed: number, steps: number, numEnvs: number) {
  const rng = new Rng(seed);
  const n = steps * numEnvs;
  return {
    rewards: Float32Array.from({ length: n }, () => rng.normal()),
    values: Float32Array.from({ length: n }, () => rng.normal()),
    dones: Uint8Array.from({ length: n }, () => (rng.uniform() < 0.25 ? 1 : 0)),
    nextValues: Float32Array.from({ length: numEnvs }, () => rng.normal()),
  };
}

Deno.test("computeGae: lambda = 1 gives discounted returns minus values", () => {
  const steps = 8;
  const numEnvs = 3;
  const gamma = 0.95;
  const r = randomRollout(1, steps, numEnvs);
  assert.ok(r.dones.some((d) => d === 1) && r.dones.some((d) => d === 0));
  const { advantages, returns } = computeGae(r, { numEnvs, gamma, lambda: 1 });
  const expectedRet = new Array(steps * numEnvs);
  for (let e = 0; e < numEnvs; e++) {
    let g = r.nextValues[e];
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * numEnvs + e;
      g = r.rewards[i] + (r.dones[i] ? 0 : gamma * g);
      expectedRet[i] = g;
    }
  }
  assertAllClose(returns, expectedRet, 1e-5, "lambda=1 returns");
  assertAllClose(
    advantages,
    expectedRet.map((g, i) => g - r.values[i]),
    1e-5,
    "lambda=1 advantages",
  );
});

Deno.test("computeGae: lambda = 0 gives one-step TD errors", () => {
  const steps = 7;
  const numEnvs = 2;
  const gamma = 0.9;
  const r = randomRollout(2, steps, numEnvs);
  const { advantages, returns } = computeGae(r, { numEnvs, gamma, lambda: 0 });
  const delta: number[] = [];
  for (let t = 0; t < steps; t++) {
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      const next = t === steps - 1 ? r.nextValues[e] : r.values[i + numEnvs];
      delta.push(r.rewards[i] + (r.dones[i] ? 0 : gamma * next) - r.values[i]);
    }
  }
  assertAllClose(advantages, delta, 1e-5, "lambda=0 advantages");
  assertAllClose(returns, delta.map((d, i) => d + r.values[i]), 1e-5, "lambda=0 returns");
});

Deno.test("computeGae: envs are independent (permuting env columns permutes the output)", () => {
  const steps = 5;
  const r = randomRollout(3, steps, 2);
  const swap = <T extends Float32Array | Uint8Array>(a: T): T => {
    const out = a.slice() as T;
    for (let t = 0; t < a.length / 2; t++) {
      out[2 * t] = a[2 * t + 1];
      out[2 * t + 1] = a[2 * t];
    }
    return out;
  };
  const opts = { numEnvs: 2, gamma: 0.99, lambda: 0.95 };
  const a = computeGae(r, opts);
  const b = computeGae({
    rewards: swap(r.rewards),
    values: swap(r.values),
    dones: swap(r.dones),
    nextValues: Float32Array.from([r.nextValues[1], r.nextValues[0]]),
  }, opts);
  assert.deepEqual(b.advantages, swap(a.advantages));
  assert.deepEqual(b.returns, swap(a.returns));
});
