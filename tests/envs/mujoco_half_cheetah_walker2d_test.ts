/** HalfCheetah-v4 and Walker2d-v4: Gymnasium's v4 semantics over the MuJoCo env base. */
import assert from "node:assert/strict";
import { loadMujocoEngine } from "../../envs/mujoco/runtime.ts";
import { HalfCheetah } from "../../envs/mujoco/half_cheetah.ts";
import { Walker2d } from "../../envs/mujoco/walker2d.ts";
import type { MujocoEnv } from "../../envs/mujoco/mujoco_env.ts";
import { Rng } from "../../core/rng.ts";
import { randomActions } from "./mujoco_helpers.ts";
import { ConfigError } from "../../core/schema.ts";

await loadMujocoEngine();

/** `qpos[1:]` then `qvel` (clipped to `limit`), as float32: the expected observation. */
function expectedObs(env: MujocoEnv, limit = Infinity): number[] {
  const { qpos, qvel } = env.positions();
  return [...qpos.slice(1), ...Array.from(qvel, (v) => Math.min(limit, Math.max(-limit, v)))]
    .map(Math.fround);
}

const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol;

Deno.test("HalfCheetah-v4: spaces, dt and the observation layout (qvel unclipped)", () => {
  const env = new HalfCheetah();
  try {
    assert.equal(env.id, "HalfCheetah-v4");
    assert.equal(env.observationSpace.low.length, 17);
    assert.equal(env.observationSpace.high[16], Infinity);
    assert.deepEqual(Array.from(env.actionSpace.low), [-1, -1, -1, -1, -1, -1]);
    assert.deepEqual(Array.from(env.actionSpace.high), [1, 1, 1, 1, 1, 1]);
    assert.equal(env.frameSkip, 5);
    assert.ok(close(env.dt, 0.05, 1e-12));
    assert.equal(env.maxEpisodeSteps, 1000);
    assert.equal(env.nq, 9);
    assert.equal(env.nv, 9);
    const obs = env.reset(4);
    assert.deepEqual(Array.from(obs), expectedObs(env));
    const r = env.step(new Float32Array([0.3, -0.2, 0.1, 0, 0.5, -1]));
    assert.deepEqual(Array.from(r.obs), expectedObs(env));
    // velocities beyond 10 reach the observation unclipped
    const qvel = new Float64Array(9);
    qvel[1] = 30; // rootz, upwards
    env.setState(new Float64Array(9), qvel);
    const fast = env.step(new Float32Array(6));
    assert.ok(env.positions().qvel[1] > 10);
    assert.deepEqual(Array.from(fast.obs), expectedObs(env));
  } finally {
    env.close();
  }
});

Deno.test("HalfCheetah-v4: reset noise is U(-0.1, 0.1) on qpos, then 0.1 * N(0, 1) on qvel", () => {
  const env = new HalfCheetah();
  try {
    env.reset(21);
    const { qpos, qvel } = env.positions();
    const rng = new Rng(21);
    for (let i = 0; i < 9; i++) assert.equal(qpos[i], rng.uniformRange(-0.1, 0.1), `qpos[${i}]`);
    for (let i = 0; i < 9; i++) assert.equal(qvel[i], 0.1 * rng.normal(), `qvel[${i}]`);
    const scaled = new HalfCheetah({ resetNoiseScale: 0 });
    scaled.reset(21);
    assert.ok(scaled.positions().qpos.every((x) => x === 0));
    assert.ok(scaled.positions().qvel.every((x) => x === 0));
    scaled.close();
  } finally {
    env.close();
  }
});

Deno.test("HalfCheetah-v4: reward = forward - ctrl, each term in info", () => {
  const env = new HalfCheetah();
  const weighted = new HalfCheetah({ forwardRewardWeight: 2, ctrlCostWeight: 0.5 });
  try {
    env.reset(0);
    const before = env.positions().qpos[0];
    const a = new Float32Array([0.5, -0.25, 1, 0, -1, 0.75]);
    const squares = 0.25 + 0.0625 + 1 + 0 + 1 + 0.5625;
    const r = env.step(a);
    const after = env.positions().qpos[0];
    const xVelocity = (after - before) / env.dt;
    const info = r.info!;
    assert.equal(info.x_position, after);
    assert.ok(close(info.x_velocity, xVelocity, 1e-12));
    assert.ok(close(info.reward_forward, xVelocity));
    assert.ok(close(info.reward_ctrl, -0.1 * squares));
    assert.ok(close(r.reward, xVelocity - 0.1 * squares));
    assert.equal(info.reward_healthy, undefined);
    assert.equal(r.terminated, false);
    weighted.reset(0);
    const w = weighted.step(a);
    assert.ok(close(w.reward, 2 * xVelocity - 0.5 * squares));
  } finally {
    env.close();
    weighted.close();
  }
});

Deno.test("HalfCheetah-v4: never terminates, truncates exactly at step 1000", () => {
  const env = new HalfCheetah();
  try {
    env.reset(2);
    const actions = randomActions(env, 1000, 9);
    for (let t = 1; t <= 1000; t++) {
      const r = env.step(actions[t - 1]);
      assert.equal(r.terminated, false);
      assert.equal(r.truncated, t === 1000, `step ${t}`);
    }
    // upside down and far below the floor: still not terminated
    env.reset(2);
    const qpos = new Float64Array(9);
    qpos[1] = -5;
    qpos[2] = Math.PI;
    env.setState(qpos, new Float64Array(9));
    assert.equal(env.step(new Float32Array(6)).terminated, false);
  } finally {
    env.close();
  }
});

Deno.test("Walker2d-v4: spaces, dt, reset noise and the observation layout (qvel clipped)", () => {
  const env = new Walker2d();
  try {
    assert.equal(env.id, "Walker2d-v4");
    assert.equal(env.observationSpace.low.length, 17);
    assert.deepEqual(Array.from(env.actionSpace.low), [-1, -1, -1, -1, -1, -1]);
    assert.deepEqual(Array.from(env.actionSpace.high), [1, 1, 1, 1, 1, 1]);
    assert.equal(env.frameSkip, 4);
    assert.ok(close(env.dt, 0.008, 1e-12));
    assert.equal(env.maxEpisodeSteps, 1000);
    assert.equal(env.nq, 9);
    assert.equal(env.nv, 9);
    const obs = env.reset(3);
    const { qpos, qvel } = env.positions();
    const rng = new Rng(3);
    const init = [0, 1.25, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 9; i++) {
      assert.equal(qpos[i], init[i] + rng.uniformRange(-5e-3, 5e-3), `qpos[${i}]`);
    }
    for (let i = 0; i < 9; i++) assert.equal(qvel[i], rng.uniformRange(-5e-3, 5e-3), `qvel[${i}]`);
    assert.deepEqual(Array.from(obs), expectedObs(env, 10));
    // velocities beyond +-10 are clipped in the observation only
    const v = new Float64Array(9);
    v[1] = 30;
    v[3] = -40;
    env.setState([0, 1.25, 0, 0, 0, 0, 0, 0, 0], v);
    const r = env.step(new Float32Array(6));
    const after = env.positions().qvel;
    assert.ok(after[1] > 10 && after[3] < -10);
    assert.equal(r.obs[8 + 1], 10);
    assert.equal(r.obs[8 + 3], -10);
    assert.deepEqual(Array.from(r.obs), expectedObs(env, 10));
  } finally {
    env.close();
  }
});

Deno.test("Walker2d-v4: reward = forward + healthy - ctrl, each term in info", () => {
  const env = new Walker2d();
  const weighted = new Walker2d({ forwardRewardWeight: 2, ctrlCostWeight: 0.1, healthyReward: 5 });
  try {
    env.reset(0);
    const before = env.positions().qpos[0];
    const a = new Float32Array([0.5, -0.25, 1, 0, -1, 0.75]);
    const squares = 0.25 + 0.0625 + 1 + 0 + 1 + 0.5625;
    const r = env.step(a);
    const after = env.positions().qpos[0];
    const xVelocity = (after - before) / env.dt;
    const info = r.info!;
    assert.equal(info.x_position, after);
    assert.ok(close(info.x_velocity, xVelocity, 1e-12));
    assert.ok(close(info.reward_forward, xVelocity));
    assert.equal(info.reward_healthy, 1);
    assert.ok(close(info.reward_ctrl, -1e-3 * squares));
    assert.ok(close(r.reward, xVelocity + 1 - 1e-3 * squares));
    assert.equal(r.terminated, false);
    weighted.reset(0);
    const w = weighted.step(a);
    assert.ok(close(w.reward, 2 * xVelocity + 5 - 0.1 * squares));
  } finally {
    env.close();
    weighted.close();
  }
});

Deno.test("Walker2d-v4: healthy ranges are strict at exactly Gymnasium's boundaries", () => {
  const env = new Walker2d();
  try {
    const zero = new Float64Array(9);
    const at = (z: number, angle: number) => {
      env.setState([0, z, angle, 0, 0, 0, 0, 0, 0], zero);
      return env.isHealthy();
    };
    assert.equal(at(1.25, 0), true);
    assert.equal(at(0.8, 0), false);
    assert.equal(at(0.8 + 1e-9, 0), true);
    assert.equal(at(2, 0), false);
    assert.equal(at(2 - 1e-9, 0), true);
    assert.equal(at(1.25, 1), false);
    assert.equal(at(1.25, 1 - 1e-9), true);
    assert.equal(at(1.25, -1), false);
    assert.equal(at(1.25, -1 + 1e-9), true);
    // only z and the torso angle count: x, the joints and the velocities do not
    env.setState([1e6, 1.25, 0, 50, -50, 50, -50, 50, -50], new Float64Array(9).fill(1e3));
    assert.equal(env.isHealthy(), true);
    // the ranges come from envParams
    const custom = new Walker2d({ healthyZMin: 0.5, healthyZMax: 1, healthyAngleMax: 0.1 });
    custom.setState([0, 0.9, 0.05, 0, 0, 0, 0, 0, 0], zero);
    assert.equal(custom.isHealthy(), true);
    custom.setState([0, 1.25, 0, 0, 0, 0, 0, 0, 0], zero);
    assert.equal(custom.isHealthy(), false);
    custom.close();
  } finally {
    env.close();
  }
});

Deno.test("Walker2d-v4: unhealthy terminates; without termination the healthy reward is 0", () => {
  const env = new Walker2d();
  const lenient = new Walker2d({ terminateWhenUnhealthy: false });
  try {
    env.reset(1);
    let steps = 0;
    let r;
    do {
      r = env.step(new Float32Array([1, -1, 1, -1, 1, -1]));
      steps++;
      assert.equal(r.terminated, !env.isHealthy());
      assert.equal(r.info!.reward_healthy, 1);
    } while (!r.terminated && steps < 1000);
    assert.ok(r.terminated, "the walker should fall under a constant bang action");
    assert.equal(r.truncated, false);
    // tilted past the angle range: unhealthy after the step
    const tilted = [0, 1.25, 1.5, 0, 0, 0, 0, 0, 0];
    lenient.reset(0);
    lenient.setState(tilted, new Float64Array(9));
    const l = lenient.step(new Float32Array(6));
    assert.equal(lenient.isHealthy(), false);
    assert.equal(l.terminated, false);
    assert.equal(l.info!.reward_healthy, 0);
    assert.ok(close(l.reward, l.info!.reward_forward));
    env.setState(tilted, new Float64Array(9));
    const t = env.step(new Float32Array(6));
    assert.equal(t.terminated, true);
    assert.equal(t.info!.reward_healthy, 1);
  } finally {
    env.close();
    lenient.close();
  }
});

Deno.test("HalfCheetah-v4, Walker2d-v4: envParams are validated", () => {
  const isConfig = (fragment: string) => (e: unknown) =>
    e instanceof ConfigError && e.message.includes(fragment);
  assert.throws(() => new HalfCheetah({ healthyReward: 1 }), isConfig("healthyReward"));
  assert.throws(() => new HalfCheetah({ ctrlCostWeight: -1 }), isConfig("ctrlCostWeight"));
  assert.throws(() => new Walker2d({ healthyZRange: [0.8, 2] }), isConfig("healthyZRange"));
  assert.throws(() => new Walker2d({ resetNoiseScale: "x" }), isConfig("resetNoiseScale"));
});
