import assert from "node:assert/strict";
import {
  box,
  type Env,
  Rng,
  squashToBox,
  type StepResult,
  VecEnv,
  type VecEnvState,
} from "../../../core/mod.ts";
import { tf, useBackend } from "../../../core/tensor/mod.ts";
import { defaultsOf } from "../../../core/schema.ts";
import { createPendulum } from "../../../envs/pendulum.ts";
import {
  augmentedGamma,
  type AugmentedStep,
  DIFFUSION_SCHEMA,
  DiffusionAugmentedEnv,
  DiffusionPolicy,
  softReward,
} from "../../../plugins/diffusion_policy/mod.ts";

await useBackend("wasm");

const ACTION_LOW = [-2, 0];
const ACTION_HIGH = [3, 1];

/**
 * A tiny env: reward = action[0]; ends after `limit` steps by termination or truncation.
 * Observation `[step count, action[1]]`; a reset observation is `[0, 100 + seed % 97]`, so
 * tests can see resets come through.
 */
class EchoEnv implements Env {
  readonly id = "Echo-v0";
  readonly observationSpace = box(-1000, 1000, 2);
  readonly actionSpace = box(ACTION_LOW, ACTION_HIGH);
  readonly maxEpisodeSteps: number;
  count = 0;
  /** Every action this env received. */
  actions: number[][] = [];

  constructor(readonly ending: "terminate" | "truncate", readonly limit: number) {
    this.maxEpisodeSteps = limit;
  }

  reset(seed?: number): Float32Array {
    this.count = 0;
    return Float32Array.from([0, 100 + (seed ?? 0) % 97]);
  }

  step(action: Float32Array): StepResult {
    this.actions.push(Array.from(action));
    this.count += 1;
    const done = this.count >= this.limit;
    return {
      obs: Float32Array.from([this.count, action[1]]),
      reward: action[0],
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

/** Env copies alternate: even ones terminate after 2 steps, odd ones truncate after 3. */
function echoFactory(made: EchoEnv[] = []): () => Env {
  return () => {
    const env = made.length % 2 === 0 ? new EchoEnv("terminate", 2) : new EchoEnv("truncate", 3);
    made.push(env);
    return env;
  };
}

/** `clip(tanh(u), -0.999, 0.999)` rescaled to [low, high], by hand. */
function squash(u: number, low: number, high: number): number {
  const y = Math.min(0.999, Math.max(-0.999, Math.tanh(u)));
  return low + 0.5 * (y + 1) * (high - low);
}

function latents(rng: Rng, n: number, scale = 2): Float32Array {
  return new Float32Array(n).map(() => scale * rng.normal());
}

/** A deep copy of an augmented step (its arrays are reused between calls). */
function copyStep(s: AugmentedStep) {
  return {
    envStep: s.envStep,
    reward: Array.from(s.reward),
    terminated: Array.from(s.terminated),
    truncated: Array.from(s.truncated),
    finalObs: s.finalObs ? Array.from(s.finalObs) : null,
    episodes: s.episodes.map((e) => ({ ...e })),
  };
}

Deno.test("DA-MDP: k cycles K..1, only k = 1 steps the env, with squash(a^0) in the Box", () => {
  const made: EchoEnv[] = [];
  const numEnvs = 2;
  const K = 3;
  const env = new VecEnv(echoFactory(made), numEnvs, 4);
  const da = new DiffusionAugmentedEnv(env, { steps: K, sigma0: 3, rng: new Rng(1) });
  assert.equal(da.steps, K);
  const rng = new Rng(2);
  const expectedK = [3, 2, 1, 3, 2, 1, 3, 2, 1, 3, 2, 1];
  let envSteps = 0;
  for (const k of expectedK) {
    assert.equal(da.k, k);
    const obsBefore = Array.from(da.obs);
    const next = latents(rng, numEnvs * 2);
    // include a saturated latent to check the 0.999 clip
    if (envSteps === 1) next[0] = 50;
    const result = da.step(next);
    assert.equal(result.envStep, k === 1);
    if (k > 1) {
      assert.deepEqual(Array.from(result.reward), [0, 0]);
      assert.deepEqual(Array.from(result.terminated), [0, 0]);
      assert.deepEqual(Array.from(result.truncated), [0, 0]);
      assert.equal(result.finalObs, null);
      assert.deepEqual(result.episodes, []);
      assert.deepEqual(Array.from(da.obs), obsBefore, "env state unchanged inside the chain");
      assert.deepEqual(Array.from(da.latent), Array.from(next), "state moves to (s, a^{k-1}, k-1)");
      assert.equal(da.k, k - 1);
      for (const e of made) assert.equal(e.actions.length, envSteps, "no env step for k > 1");
    } else {
      envSteps += 1;
      assert.equal(da.k, K);
      for (let i = 0; i < numEnvs; i++) {
        const e = made[i];
        assert.equal(e.actions.length, envSteps, "exactly one env step at k = 1");
        const action = e.actions[envSteps - 1];
        for (let d = 0; d < 2; d++) {
          const want = squash(next[i * 2 + d], ACTION_LOW[d], ACTION_HIGH[d]);
          assert.ok(Math.abs(action[d] - want) < 1e-6, `action ${action[d]} vs ${want}`);
          assert.ok(action[d] >= ACTION_LOW[d] && action[d] <= ACTION_HIGH[d]);
        }
        assert.equal(result.reward[i], Math.fround(action[0]), "reward = env reward");
      }
      assert.ok(result.finalObs !== null);
    }
  }
  assert.equal(envSteps, 4);
  // the saturated latent hit the clipped bound: low + 0.5 * 1.999 * (high - low)
  assert.ok(Math.abs(made[0].actions[1][0] - (-2 + 0.5 * 1.999 * 5)) < 1e-5);
  assert.throws(() => da.step(new Float32Array(3)), /latents/);
});

Deno.test("DA-MDP: after an env step the latent is a fresh N(0, sigma0^2) draw at (s', a'^K, K)", () => {
  const numEnvs = 4;
  const K = 2;
  const sigma0 = 1.7;
  const env = new VecEnv(() => new EchoEnv("truncate", 1000000), numEnvs, 5);
  const da = new DiffusionAugmentedEnv(env, { steps: K, sigma0, rng: new Rng(6) });
  assert.equal(da.k, K);
  assert.ok(da.latent.some((v) => v !== 0), "the first chain starts from a prior draw");
  const rng = new Rng(7);
  const samples: number[] = Array.from(da.latent);
  const envSteps = 3000;
  let previous = Array.from(da.latent);
  for (let t = 0; t < envSteps; t++) {
    da.step(latents(rng, numEnvs * 2));
    const a0 = latents(rng, numEnvs * 2);
    const result = da.step(a0);
    assert.ok(result.envStep);
    assert.equal(da.k, K);
    const fresh = Array.from(da.latent);
    assert.notDeepEqual(fresh, Array.from(a0), "not the last a^0");
    assert.notDeepEqual(fresh, previous, "a new draw each env step");
    assert.deepEqual(Array.from(da.obs), Array.from(result.finalObs!), "s' (no episode ended)");
    assert.deepEqual(Array.from(da.obs), Array.from(env.obs));
    previous = fresh;
    samples.push(...fresh);
  }
  const n = samples.length;
  const mean = samples.reduce((s, v) => s + v, 0) / n;
  const variance = samples.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  assert.ok(Math.abs(mean) < 4 * sigma0 / Math.sqrt(n), `prior mean ${mean}`);
  assert.ok(
    Math.abs(variance / (sigma0 * sigma0) - 1) < 0.04,
    `prior variance ${variance} vs ${sigma0 * sigma0}`,
  );
});

Deno.test("DA-MDP: episode ends, stats and auto-reset obs match the wrapped VecEnv's, on env steps only", () => {
  const numEnvs = 2;
  const K = 3;
  const env = new VecEnv(echoFactory(), numEnvs, 8);
  const twin = new VecEnv(echoFactory(), numEnvs, 8);
  const da = new DiffusionAugmentedEnv(env, { steps: K, sigma0: 3, rng: new Rng(9) });
  const rng = new Rng(10);
  let terminations = 0;
  let truncations = 0;
  let episodes = 0;
  for (let t = 0; t < 7 * K; t++) {
    const next = latents(rng, numEnvs * 2);
    const k = da.k;
    const got = copyStep(da.step(next));
    if (k > 1) {
      assert.equal(got.envStep, false);
      assert.deepEqual(got.terminated, [0, 0]);
      assert.deepEqual(got.truncated, [0, 0]);
      assert.deepEqual(got.episodes, []);
      continue;
    }
    // the exact float32 squash (checked against the formula in the first test)
    const want = twin.step(squashToBox(next, twin.actionSpace));
    assert.deepEqual(got.reward, Array.from(want.reward));
    assert.deepEqual(got.terminated, Array.from(want.terminated));
    assert.deepEqual(got.truncated, Array.from(want.truncated));
    assert.deepEqual(got.finalObs, Array.from(want.finalObs));
    assert.deepEqual(got.episodes, want.episodes);
    assert.deepEqual(Array.from(da.obs), Array.from(want.obs), "auto-reset obs come through");
    terminations += got.terminated[0];
    truncations += got.truncated[1];
    episodes += got.episodes.length;
    for (const e of got.episodes) {
      assert.equal(e.length, e.envIndex === 0 ? 2 : 3);
      // the next obs row of an ended copy is a reset observation [0, 100 + seed % 97]
      assert.equal(da.obs[e.envIndex * 2], 0);
      assert.ok(da.obs[e.envIndex * 2 + 1] >= 100);
    }
  }
  assert.equal(terminations, 3, "env 0 terminates at env steps 2, 4, 6");
  assert.equal(truncations, 2, "env 1 truncates at env steps 3, 6");
  assert.equal(episodes, 5);
});

Deno.test("DA-MDP over Pendulum: env steps match a twin VecEnv through a time-limit truncation", () => {
  const numEnvs = 2;
  const K = 2;
  const env = new VecEnv(() => createPendulum({}), numEnvs, 11);
  const twin = new VecEnv(() => createPendulum({}), numEnvs, 11);
  const da = new DiffusionAugmentedEnv(env, { steps: K, sigma0: 3, rng: new Rng(12) });
  const rng = new Rng(13);
  let truncations = 0;
  for (let t = 0; t < 201 * K; t++) {
    const obsBefore = Array.from(da.obs);
    const next = latents(rng, numEnvs);
    const got = copyStep(da.step(next));
    if (!got.envStep) {
      assert.deepEqual(Array.from(da.obs), obsBefore);
      continue;
    }
    const want = twin.step(squashToBox(next, twin.actionSpace));
    assert.deepEqual(got.reward, Array.from(want.reward));
    assert.deepEqual(got.truncated, Array.from(want.truncated));
    assert.deepEqual(got.terminated, [0, 0]);
    assert.deepEqual(got.episodes, want.episodes);
    assert.deepEqual(Array.from(da.obs), Array.from(want.obs));
    truncations += got.truncated[0] + got.truncated[1];
    if (got.truncated[0]) {
      assert.equal(got.episodes.length, 2);
      assert.equal(got.episodes[0].length, 200);
      assert.notDeepEqual(got.finalObs!.slice(0, 3), Array.from(da.obs.slice(0, 3)));
    }
  }
  assert.equal(truncations, 2, "both copies truncate at env step 200");
});

Deno.test("DA-MDP: softReward = r [env step] - tau * l; augmentedGamma^K = gamma", () => {
  const reward = new Float32Array([1.5, -2, 0.25]);
  const l = [0.3, -1.2, 2];
  assert.deepEqual(Array.from(softReward(reward, true, l, 0)), Array.from(reward));
  assert.deepEqual(Array.from(softReward(reward, false, l, 0)), [0, 0, 0]);
  const tau = 0.2;
  const env = softReward(reward, true, l, tau);
  const internal = softReward(reward, false, l, tau);
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(env[i] - (reward[i] - tau * l[i])) < 1e-6);
    assert.ok(Math.abs(internal[i] - -tau * l[i]) < 1e-6);
  }
  const out = new Float32Array(3);
  assert.equal(softReward(reward, true, l, tau, out), out, "in place into out");
  assert.deepEqual(Array.from(out), Array.from(env));

  const g = augmentedGamma(0.99, 8);
  assert.ok(Math.abs(g ** 8 - 0.99) < 1e-12);
  assert.ok(g > 0.99 && g < 1);
  assert.equal(augmentedGamma(0.99, 1), 0.99);
  assert.ok(Math.abs(augmentedGamma(0.9, 32) ** 32 - 0.9) < 1e-12);
});

Deno.test("DA-MDP driven by a diffusion policy: soft rewards over K steps sum to r - tau * sum l", () => {
  const K = 3;
  const numEnvs = 2;
  const made: EchoEnv[] = [];
  const env = new VecEnv(
    () => {
      const e = new EchoEnv("truncate", 100);
      made.push(e);
      return e;
    },
    numEnvs,
    14,
  );
  const policy = new DiffusionPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    { ...defaultsOf(DIFFUSION_SCHEMA), hidden: [16, 16], diffusionSteps: K },
    new Rng(15),
  );
  const da = new DiffusionAugmentedEnv(env, { steps: K, sigma0: policy.sigma0, rng: new Rng(16) });
  const rng = new Rng(17);
  const tau = 0.1;
  for (let t = 0; t < 2; t++) {
    const total = new Float64Array(numEnvs);
    const sumL = new Float64Array(numEnvs);
    let result: AugmentedStep | null = null;
    for (let j = 0; j < K; j++) {
      const { next, logRatio } = tf.tidy(() => {
        const step = policy.denoise(
          policy.obsTensor(da.obs),
          tf.tensor2d(da.latent, [numEnvs, 2]),
          tf.fill([numEnvs], da.k, "int32") as tf.Tensor1D,
          tf.tensor2d(rng.fillNormal(new Float32Array(numEnvs * 2)), [numEnvs, 2]),
        );
        return { next: step.next.dataSync() as Float32Array, logRatio: step.logRatio.dataSync() };
      });
      result = da.step(next);
      const soft = softReward(result.reward, result.envStep, logRatio, tau);
      for (let i = 0; i < numEnvs; i++) {
        total[i] += soft[i];
        sumL[i] += logRatio[i];
      }
    }
    assert.ok(result!.envStep);
    for (let i = 0; i < numEnvs; i++) {
      const r = made[i].actions[t][0];
      assert.ok(Math.abs(total[i] - (r - tau * sumL[i])) < 1e-5, `${total[i]} vs r - tau l`);
    }
  }
  policy.dispose();
});

Deno.test("DA-MDP: state()/load() round trip continues identically; bad states are refused", () => {
  const numEnvs = 2;
  const K = 4;
  const env = new VecEnv(() => createPendulum({}), numEnvs, 20);
  const da = new DiffusionAugmentedEnv(env, { steps: K, sigma0: 3, rng: new Rng(21) });
  const rng = new Rng(22);
  for (let t = 0; t < 7; t++) da.step(latents(rng, numEnvs));
  assert.equal(da.k, 1, "saved mid-cycle, just before an env step");
  const raw = da.state();
  const saved = structuredClone({ da: raw, env: env.state() });
  const latentAtSave = Array.from(da.latent);

  const actions = Array.from({ length: 3 * K + 1 }, () => latents(rng, numEnvs));
  const run = (d: DiffusionAugmentedEnv) =>
    actions.map((a) => ({ step: copyStep(d.step(a)), k: d.k, latent: Array.from(d.latent) }));
  const first = run(da);
  // state() returned a copy, not a view of the live latents
  assert.deepEqual(Array.from(raw.latent), latentAtSave);

  const env2 = new VecEnv(() => createPendulum({}), numEnvs, 999);
  const da2 = new DiffusionAugmentedEnv(env2, { steps: K, sigma0: 3, rng: new Rng(998) });
  env2.load(saved.env as VecEnvState);
  da2.load(saved.da);
  assert.equal(da2.k, 1);
  assert.deepEqual(Array.from(da2.latent), latentAtSave);
  assert.deepEqual(run(da2), first);

  assert.throws(
    () => da2.load({ ...saved.da, latent: new Float32Array(numEnvs + 1) }),
    /latent size/,
  );
  assert.throws(() => da2.load({ ...saved.da, k: 0 }), /k out of range/);
  assert.throws(() => da2.load({ ...saved.da, k: K + 1 }), /k out of range/);
});
