import assert from "node:assert/strict";
import { type Env, type StepResult, VecEnv, type VecEnvState } from "../../core/env.ts";
import { box, boxSize, isBounded, scaleToBox, squashToBox } from "../../core/spaces.ts";
import { Rng } from "../../core/rng.ts";
import { createPendulum } from "../../envs/pendulum.ts";

/**
 * A tiny env: reward 1 per step; ends after `limit` steps, by termination or truncation.
 * Observation `[step count, action[0], action[1]]`; the reset observation is
 * `[0, seed % 97, -1]` so tests can see which seed a reset used.
 */
class CounterEnv implements Env {
  readonly id = "Counter-v0";
  readonly observationSpace = box(-1000, 1000, 3);
  readonly actionSpace = box(-1, 1, 2);
  readonly maxEpisodeSteps: number;
  count = 0;
  resets: (number | undefined)[] = [];

  constructor(readonly ending: "terminate" | "truncate", readonly limit: number) {
    this.maxEpisodeSteps = limit;
  }

  reset(seed?: number): Float32Array {
    this.count = 0;
    this.resets.push(seed);
    return Float32Array.from([0, (seed ?? 0) % 97, -1]);
  }

  step(action: Float32Array): StepResult {
    if (action.length !== 2) throw new Error("CounterEnv: bad action");
    this.count += 1;
    const done = this.count >= this.limit;
    return {
      obs: Float32Array.from([this.count, action[0], action[1]]),
      reward: 1,
      terminated: done && this.ending === "terminate",
      truncated: done && this.ending === "truncate",
    };
  }

  state(): unknown {
    return { count: this.count };
  }

  load(state: unknown): void {
    this.count = (state as { count: number }).count;
  }
}

/** Env 0 terminates after 3 steps, env 1 truncates after 2 (alternating by creation order). */
function mixedFactory(): { factory: () => Env; made: CounterEnv[] } {
  const made: CounterEnv[] = [];
  const factory = () => {
    const env = made.length % 2 === 0
      ? new CounterEnv("terminate", 3)
      : new CounterEnv("truncate", 2);
    made.push(env);
    return env;
  };
  return { factory, made };
}

function rows(a: Float32Array, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += width) out.push(Array.from(a.subarray(i, i + width)));
  return out;
}

Deno.test("VecEnv: auto-reset on termination and truncation with finalObs and stats", () => {
  const { factory, made } = mixedFactory();
  const vec = new VecEnv(factory, 2, 5);
  assert.equal(vec.numEnvs, 2);
  assert.equal(vec.obsDim, 3);
  assert.equal(vec.actDim, 2);
  assert.equal(made.length, 2);
  const seeds0 = made.map((e) => e.resets[0]);
  assert.ok(seeds0.every((s) => typeof s === "number"), "initial resets must be seeded");
  assert.notEqual(seeds0[0], seeds0[1], "each copy gets its own seed");
  assert.deepEqual(rows(vec.obs, 3), seeds0.map((s) => [0, s! % 97, -1]));

  // Step 1: nobody ends; obs and finalObs both hold the step's observation.
  let out = vec.step(Float32Array.from([0.1, 0.2, 0.3, 0.4]));
  assert.deepEqual(
    rows(out.obs, 3),
    [[1, 0.1, 0.2], [1, 0.3, 0.4]].map((r) => Array.from(Float32Array.from(r))),
  );
  assert.deepEqual(out.finalObs, out.obs);
  assert.deepEqual(Array.from(out.reward), [1, 1]);
  assert.deepEqual(Array.from(out.terminated), [0, 0]);
  assert.deepEqual(Array.from(out.truncated), [0, 0]);
  assert.deepEqual(out.episodes, []);

  // Step 2: env 1 truncates. Its finalObs is the last observation, its obs the reset one.
  out = vec.step(Float32Array.from([0.5, 0.5, -0.5, -0.5]));
  assert.deepEqual(Array.from(out.terminated), [0, 0]);
  assert.deepEqual(Array.from(out.truncated), [0, 1]);
  assert.deepEqual(rows(out.finalObs, 3)[1], [2, -0.5, -0.5]);
  const seed1 = made[1].resets[1]!;
  assert.equal(made[1].resets.length, 2);
  assert.equal(typeof seed1, "number");
  assert.deepEqual(rows(out.obs, 3)[1], [0, seed1 % 97, -1]);
  assert.deepEqual(rows(out.obs, 3)[0], [2, 0.5, 0.5]);
  assert.deepEqual(rows(out.finalObs, 3)[0], [2, 0.5, 0.5]);
  assert.deepEqual(out.episodes, [{ envIndex: 1, return: 2, length: 2 }]);
  assert.deepEqual(vec.obs, out.obs, "vec.obs is the post-reset observation");

  // Step 3: env 0 terminates (truncated flag stays 0); env 1 is 1 step into its new episode.
  out = vec.step(Float32Array.from([0, 0, 0, 0]));
  assert.deepEqual(Array.from(out.terminated), [1, 0]);
  assert.deepEqual(Array.from(out.truncated), [0, 0]);
  assert.deepEqual(rows(out.finalObs, 3)[0], [3, 0, 0]);
  assert.deepEqual(rows(out.obs, 3)[0], [0, made[0].resets[1]! % 97, -1]);
  assert.deepEqual(rows(out.obs, 3)[1], [1, 0, 0]);
  assert.deepEqual(out.episodes, [{ envIndex: 0, return: 3, length: 3 }]);

  // Step 4: env 1 truncates again, with stats of its second episode only.
  out = vec.step(Float32Array.from([0, 0, 0, 0]));
  assert.deepEqual(out.episodes, [{ envIndex: 1, return: 2, length: 2 }]);
  assert.deepEqual(Array.from(out.truncated), [0, 1]);

  // Steps 5 and 6: both end in step 6, reported in env order.
  vec.step(new Float32Array(4));
  out = vec.step(new Float32Array(4));
  assert.deepEqual(out.episodes, [
    { envIndex: 0, return: 3, length: 3 },
    { envIndex: 1, return: 2, length: 2 },
  ]);
  assert.deepEqual(Array.from(out.terminated), [1, 0]);
  assert.deepEqual(Array.from(out.truncated), [0, 1]);
  // Every reset seed differs (drawn from the VecEnv's generator).
  const allSeeds = made.flatMap((e) => e.resets);
  assert.equal(new Set(allSeeds).size, allSeeds.length);
});

Deno.test("VecEnv: reset seeds are deterministic in the VecEnv seed", () => {
  const seedsOf = (seed: number) => {
    const { factory, made } = mixedFactory();
    const vec = new VecEnv(factory, 2, seed);
    for (let i = 0; i < 6; i++) vec.step(new Float32Array(4));
    return made.map((e) => e.resets);
  };
  assert.deepEqual(seedsOf(3), seedsOf(3));
  assert.notDeepEqual(seedsOf(3), seedsOf(4));
});

Deno.test("VecEnv: wrong action length and bad numEnvs are errors", () => {
  const vec = new VecEnv(() => new CounterEnv("terminate", 3), 2, 0);
  assert.throws(() => vec.step(new Float32Array(3)), /VecEnv\.step: expected 4 actions, got 3/);
  assert.throws(() => vec.step(new Float32Array(5)), /expected 4 actions, got 5/);
  assert.throws(() => new VecEnv(() => new CounterEnv("terminate", 3), 0, 0), /numEnvs/);
  assert.throws(() => new VecEnv(() => new CounterEnv("terminate", 3), 1.5, 0), /numEnvs/);
  const pend = new VecEnv(() => createPendulum({}), 3, 0);
  assert.throws(() => pend.step(new Float32Array(1)), /expected 3 actions, got 1/);
});

Deno.test("VecEnv over Pendulum: truncation at 200 steps with returns and auto-reset", () => {
  const vec = new VecEnv(() => createPendulum({}), 3, 1);
  assert.equal(vec.obsDim, 3);
  assert.equal(vec.actDim, 1);
  const rng = new Rng(2);
  const sums = [0, 0, 0];
  for (let t = 1; t <= 200; t++) {
    const actions = Float32Array.from([0, 1, 2], () => rng.uniformRange(-2, 2));
    const out = vec.step(actions);
    for (let i = 0; i < 3; i++) sums[i] += out.reward[i];
    assert.deepEqual(Array.from(out.terminated), [0, 0, 0]);
    if (t < 200) {
      assert.deepEqual(Array.from(out.truncated), [0, 0, 0]);
      assert.deepEqual(out.episodes, []);
      assert.deepEqual(out.finalObs, out.obs);
    } else {
      assert.deepEqual(Array.from(out.truncated), [1, 1, 1]);
      assert.equal(out.episodes.length, 3);
      out.episodes.forEach((e, i) => {
        assert.equal(e.envIndex, i);
        assert.equal(e.length, 200);
        assert.ok(Math.abs(e.return - sums[i]) < 1e-3 * Math.abs(sums[i]), `return ${i}`);
        assert.ok(e.return < 0);
      });
      // The reset observation differs from the final one and lies on the unit circle.
      for (const [i, row] of rows(out.obs, 3).entries()) {
        assert.notDeepEqual(row, rows(out.finalObs, 3)[i]);
        assert.ok(Math.abs(row[0] ** 2 + row[1] ** 2 - 1) < 1e-5);
        assert.ok(Math.abs(row[2]) <= 1, "reset thdot in [-1, 1]");
      }
    }
  }
});

/** Steps `vec` `n` times with seeded actions and records everything it returns. */
function record(vec: VecEnv, n: number, rng: Rng): unknown[] {
  const log: unknown[] = [];
  for (let t = 0; t < n; t++) {
    const actions = new Float32Array(vec.numEnvs * vec.actDim);
    for (let i = 0; i < actions.length; i++) actions[i] = rng.uniformRange(-2, 2);
    const out = vec.step(actions);
    log.push({
      obs: Array.from(out.obs),
      finalObs: Array.from(out.finalObs),
      reward: Array.from(out.reward),
      terminated: Array.from(out.terminated),
      truncated: Array.from(out.truncated),
      episodes: out.episodes.map((e) => ({ ...e })),
    });
  }
  return log;
}

Deno.test("VecEnv over Pendulum: state()/load() continues identically across an auto-reset", () => {
  const a = new VecEnv(() => createPendulum({}), 2, 7);
  const actRng = new Rng(1);
  record(a, 150, actRng);
  const saved: VecEnvState = JSON.parse(JSON.stringify(a.state()));
  const actState = actRng.state();
  const expected = record(a, 120, actRng); // crosses the 200-step truncation

  const b = new VecEnv(() => createPendulum({}), 2, 999);
  b.load(saved);
  assert.deepEqual(Array.from(b.obs), saved.obs.map((x) => Math.fround(x)));
  const actRng2 = new Rng(0);
  actRng2.load(actState);
  const got = record(b, 120, actRng2);
  assert.deepEqual(got, expected);
  // Sanity: the window really contained finished episodes of full length.
  const episodes = (expected as { episodes: { length: number }[] }[]).flatMap((s) => s.episodes);
  assert.equal(episodes.length, 2);
  assert.ok(episodes.every((e) => e.length === 200));

  // A checkpoint for another number of envs is refused.
  const c = new VecEnv(() => createPendulum({}), 3, 0);
  assert.throws(() => c.load(saved), /checkpoint has 2 envs, run has 3/);
});

Deno.test("VecEnv: state()/load() restores running episode stats", () => {
  const a = new VecEnv(() => new CounterEnv("terminate", 3), 1, 0);
  a.step(new Float32Array(2));
  a.step(new Float32Array(2));
  const saved = a.state();
  assert.deepEqual(saved.episodeReturn, [2]);
  assert.deepEqual(saved.episodeLength, [2]);
  const b = new VecEnv(() => new CounterEnv("terminate", 3), 1, 0);
  b.load(saved);
  const out = b.step(new Float32Array(2));
  assert.deepEqual(out.episodes, [{ envIndex: 0, return: 3, length: 3 }]);
  assert.deepEqual(Array.from(out.terminated), [1]);
});

Deno.test("box: broadcast, arrays, size and errors", () => {
  const b = box(-2, 2, 3);
  assert.deepEqual(Array.from(b.low), [-2, -2, -2]);
  assert.deepEqual(Array.from(b.high), [2, 2, 2]);
  assert.deepEqual(b.shape, [3]);
  assert.equal(boxSize(b), 3);
  const c = box([-1, 0], [1, 5]);
  assert.deepEqual(Array.from(c.high), [1, 5]);
  assert.equal(boxSize(c), 2);
  const d = box(-Infinity, [1, 2, 3]);
  assert.deepEqual(Array.from(d.low), [-Infinity, -Infinity, -Infinity]);
  assert.equal(isBounded(d), false);
  assert.equal(isBounded(c), true);
  assert.equal(isBounded(box(0, Infinity, 1)), false);
  assert.throws(() => box([0, 0], [1, 1, 1]), /high has length 3, expected 2/);
  assert.throws(() => box(1, -1, 1), /low\[0\]=1 > high\[0\]=-1/);
  assert.throws(() => box(NaN, 1, 1), /low\[0\]/);
  assert.throws(() => box(0, 1, 0), /size must be a positive integer/);
  assert.throws(() => box(0, 1, 2.5), /size must be a positive integer/);
});

Deno.test("scaleToBox maps [-1, 1] affinely onto the bounds, row by row", () => {
  const space = box([-2, 0], [2, 10]);
  const y = Float32Array.from([-1, -1, 1, 1, 0, 0, 0.5, -0.5]);
  const out = scaleToBox(y, space);
  assert.deepEqual(Array.from(out), [-2, 0, 2, 10, 0, 5, 1, 2.5]);
  assert.deepEqual(Array.from(y), [-1, -1, 1, 1, 0, 0, 0.5, -0.5], "input untouched");
  // In-place use with `out`.
  const buf = Float32Array.from([1, 0]);
  assert.equal(scaleToBox(buf, space, buf), buf);
  assert.deepEqual(Array.from(buf), [2, 5]);
});

Deno.test("squashToBox: tanh then the 0.999 clip, mapped onto the bounds", () => {
  const space = box([-2, 0], [2, 10]);
  const u = Float32Array.from([0, 0, 100, 100, -100, -100, 0.5, -0.25]);
  const out = squashToBox(u, space);
  const expected = [
    0,
    5,
    -2 + 0.5 * 1.999 * 4,
    0.5 * 1.999 * 10,
    -2 + 0.5 * 0.001 * 4,
    0.5 * 0.001 * 10,
    2 * Math.tanh(0.5),
    5 + 5 * Math.tanh(-0.25),
  ];
  out.forEach((v, i) => {
    assert.ok(Math.abs(v - expected[i]) < 1e-5, `[${i}] got ${v}, expected ${expected[i]}`);
  });
  // Never reaches the bounds exactly, always inside them.
  for (let i = 0; i < out.length; i++) {
    const lo = space.low[i % 2];
    const hi = space.high[i % 2];
    assert.ok(out[i] > lo && out[i] < hi, `[${i}] ${out[i]} not strictly inside`);
  }
  // Just below the clip threshold the value is not clipped.
  const atanh = (x: number) => 0.5 * Math.log((1 + x) / (1 - x));
  const inside = squashToBox(Float32Array.from([atanh(0.99)]), box(-1, 1, 1));
  assert.ok(Math.abs(inside[0] - 0.99) < 1e-5, `${inside[0]}`);
  const out2 = new Float32Array(2);
  assert.equal(squashToBox(Float32Array.from([0, 0]), space, out2), out2);
  assert.deepEqual(Array.from(out2), [0, 5]);
});
