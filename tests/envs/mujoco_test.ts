/** The MuJoCo env base (through Hopper-v4 and InvertedPendulum-v4) and the plugin's wiring. */
import assert from "node:assert/strict";
import { loadMujocoEngine } from "../../envs/mujoco/runtime.ts";
import { Hopper } from "../../envs/mujoco/hopper.ts";
import { InvertedPendulum } from "../../envs/mujoco/inverted_pendulum.ts";
import type { MujocoEnv } from "../../envs/mujoco/mujoco_env.ts";
import { HalfCheetah } from "../../envs/mujoco/half_cheetah.ts";
import { Walker2d } from "../../envs/mujoco/walker2d.ts";
import { Ant } from "../../envs/mujoco/ant.ts";
import { Humanoid } from "../../envs/mujoco/humanoid.ts";
import { randomActions, rollout, withEnvs } from "./mujoco_helpers.ts";
import { VecEnv } from "../../core/env.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";
import { throwsConfig } from "../helpers.ts";

await loadMujocoEngine();

Deno.test("Hopper-v4: spaces, dt and Gymnasium's initial state", () => {
  const env = new Hopper();
  try {
    assert.equal(env.id, "Hopper-v4");
    assert.equal(env.observationSpace.low.length, 11);
    assert.equal(env.observationSpace.low[0], -Infinity);
    assert.deepEqual(Array.from(env.actionSpace.low), [-1, -1, -1]);
    assert.deepEqual(Array.from(env.actionSpace.high), [1, 1, 1]);
    assert.equal(env.maxEpisodeSteps, 1000);
    assert.equal(env.frameSkip, 4);
    assert.ok(Math.abs(env.dt - 0.008) < 1e-12);
    assert.equal(env.nq, 6);
    assert.equal(env.nv, 6);
    const obs = env.reset(3);
    const { qpos, qvel } = env.positions();
    // init_qpos = (0, 1.25, 0, 0, 0, 0) plus U(-5e-3, 5e-3) noise
    const init = [0, 1.25, 0, 0, 0, 0];
    for (let i = 0; i < 6; i++) {
      assert.ok(Math.abs(qpos[i] - init[i]) <= 5e-3, `qpos[${i}]`);
      assert.ok(Math.abs(qvel[i]) <= 5e-3, `qvel[${i}]`);
    }
    assert.deepEqual(Array.from(obs), [...qpos.slice(1), ...qvel].map(Math.fround));
  } finally {
    env.close();
  }
});

Deno.test("Hopper-v4: reward = forward + healthy - ctrl, each term in info", () => {
  const env = new Hopper();
  try {
    env.reset(0);
    const before = env.positions().qpos[0];
    const a = new Float32Array([0.5, -0.25, 1]);
    const r = env.step(a);
    const after = env.positions().qpos[0];
    const xVelocity = (after - before) / env.dt;
    const ctrl = 1e-3 * (0.25 + 0.0625 + 1);
    assert.ok(Math.abs(r.info!.x_velocity - xVelocity) < 1e-12);
    assert.ok(Math.abs(r.info!.reward_ctrl + ctrl) < 1e-9);
    assert.equal(r.info!.reward_healthy, 1);
    assert.ok(Math.abs(r.reward - (xVelocity + 1 - ctrl)) < 1e-9);
    assert.equal(r.terminated, false);
    // weights come from envParams
    const weighted = new Hopper({ forwardRewardWeight: 2, ctrlCostWeight: 0.1, healthyReward: 0 });
    weighted.reset(0);
    const w = weighted.step(a);
    assert.ok(Math.abs(w.reward - (2 * xVelocity - 0.1 * (0.25 + 0.0625 + 1))) < 1e-9);
    weighted.close();
  } finally {
    env.close();
  }
});

Deno.test("Hopper-v4: healthy ranges are strict, as in Gymnasium", () => {
  const env = new Hopper();
  try {
    const qvel = new Float64Array(6);
    const at = (z: number, angle: number, other = 0) => {
      env.setState([0, z, angle, other, 0, 0], qvel);
      return env.isHealthy();
    };
    assert.equal(at(1.25, 0), true);
    assert.equal(at(0.7, 0), false);
    assert.equal(at(0.7 + 1e-9, 0), true);
    assert.equal(at(1.25, 0.2), false);
    assert.equal(at(1.25, 0.2 - 1e-9), true);
    assert.equal(at(1.25, -0.2), false);
    assert.equal(at(1.25, 0, 100), false);
    assert.equal(at(1.25, 0, 100 - 1e-9), true);
    // qpos[0] (x) is not part of the healthy state
    env.setState([1e6, 1.25, 0, 0, 0, 0], qvel);
    assert.equal(env.isHealthy(), true);
    env.setState([0, 1.25, 0, 0, 0, 0], [0, 0, 0, 0, 0, -100]);
    assert.equal(env.isHealthy(), false);
  } finally {
    env.close();
  }
});

Deno.test("Hopper-v4: falling terminates; terminated equals not healthy after the step", () => {
  const env = new Hopper();
  try {
    env.reset(1);
    let steps = 0;
    let r;
    do {
      r = env.step(new Float32Array([1, -1, 1]));
      steps++;
      assert.equal(r.terminated, !env.isHealthy());
    } while (!r.terminated && steps < 1000);
    assert.ok(r.terminated, "the hopper should fall under a constant bang action");
    assert.ok(steps < 200, `fell after ${steps} steps`);
    assert.equal(r.truncated, false);
  } finally {
    env.close();
  }
});

Deno.test("Hopper-v4: truncation at exactly 1000 steps when unhealthy does not terminate", () => {
  const env = new Hopper({ terminateWhenUnhealthy: false });
  try {
    env.reset(2);
    const zero = new Float32Array(3);
    for (let t = 1; t <= 1000; t++) {
      const r = env.step(zero);
      assert.equal(r.terminated, false);
      assert.equal(r.truncated, t === 1000, `step ${t}`);
    }
  } finally {
    env.close();
  }
});

/** Every task, built with termination off where it has one (longer episodes to compare). */
const TASKS: [string, () => MujocoEnv][] = [
  ["InvertedPendulum-v4", () => new InvertedPendulum()],
  ["Hopper-v4", () => new Hopper({ terminateWhenUnhealthy: false })],
  ["HalfCheetah-v4", () => new HalfCheetah()],
  ["Walker2d-v4", () => new Walker2d({ terminateWhenUnhealthy: false })],
  ["Ant-v4", () => new Ant({ terminateWhenUnhealthy: false })],
  ["Humanoid-v4", () => new Humanoid({ terminateWhenUnhealthy: false })],
];

Deno.test("MuJoCo envs: same seed, same trajectory; other seed, other trajectory", () => {
  for (const [id, make] of TASKS) {
    const [a, b, c] = [make(), make(), make()];
    withEnvs([a, b, c], () => {
      const actions = randomActions(a, 120, 7);
      a.reset(11);
      b.reset(11);
      c.reset(12);
      const ta = rollout(a, actions);
      assert.deepEqual(rollout(b, actions), ta, id);
      assert.notDeepEqual(rollout(c, actions), ta, id);
    });
  }
});

Deno.test("MuJoCo envs: state()/load() resume the exact trajectory, also right after reset", () => {
  for (const [id, make] of TASKS) {
    const [env, other] = [make(), make()];
    withEnvs([env, other], () => {
      env.reset(5);
      const actions = randomActions(env, 60, 3);
      rollout(env, actions.slice(0, 30));
      const saved = JSON.parse(JSON.stringify(env.state()));
      const rest = rollout(env, actions.slice(30));
      other.reset(99);
      other.load(saved);
      assert.deepEqual(rollout(other, actions.slice(30)), rest, id);
      env.reset(8);
      const fresh = JSON.parse(JSON.stringify(env.state()));
      const first = rollout(env, actions.slice(0, 5));
      other.load(fresh);
      assert.deepEqual(rollout(other, actions.slice(0, 5)), first, id);
      assert.throws(
        () => other.load({ ...saved, qpos: [1] }),
        new RegExp(`${id}\\.load: expected`),
      );
      if ("xyBefore" in saved) {
        const { xyBefore: _, ...base } = saved;
        assert.throws(() => other.load(base), new RegExp(`${id}\\.load: expected xyBefore`));
      }
    });
  }
});

Deno.test("InvertedPendulum-v4: spaces, reward 1, termination past |angle| 0.2", () => {
  const env = new InvertedPendulum();
  try {
    assert.equal(env.observationSpace.low.length, 4);
    assert.deepEqual(Array.from(env.actionSpace.low), [-3]);
    assert.deepEqual(Array.from(env.actionSpace.high), [3]);
    assert.ok(Math.abs(env.dt - 0.04) < 1e-12);
    const obs = env.reset(0);
    for (const x of obs) assert.ok(Math.abs(x) <= 0.01);
    let steps = 0;
    let r;
    do {
      r = env.step(new Float32Array([3]));
      steps++;
      assert.equal(r.reward, 1);
      assert.equal(r.terminated, Math.abs(r.obs[1]) > 0.2);
    } while (!r.terminated && steps < 1000);
    assert.ok(r.terminated && steps < 100, `pushed over after ${steps} steps`);
    throwsConfig(() => new InvertedPendulum({ g: 1 }), "envParams", "unknown key 'g'");
  } finally {
    env.close();
  }
});

Deno.test("MuJoCo envs: building and closing many envs does not grow the engine's memory", () => {
  const memory = () => {
    const env = new Hopper();
    const bytes = env.engineMemoryBytes();
    env.close();
    return bytes;
  };
  const churn = (n: number) => {
    for (let i = 0; i < n; i++) {
      const env = i % 2 ? new Hopper() : new InvertedPendulum();
      env.reset(i);
      env.step(new Float32Array(env.actionSpace.low.length));
      env.close();
    }
  };
  churn(20);
  const settled = memory();
  churn(300);
  assert.equal(memory(), settled);
  const env = new Hopper();
  env.close();
  env.close(); // idempotent
  assert.throws(() => env.step(new Float32Array(3)), /used after close/);
});

Deno.test("MuJoCo envs: VecEnv steps them with auto-reset, and the step result is reused", () => {
  const vec = new VecEnv(() => new Hopper(), 3, 0);
  try {
    const actions = new Float32Array(9).fill(0.3);
    let ended = 0;
    for (let t = 0; t < 300; t++) {
      const out = vec.step(actions);
      ended += out.episodes.length;
      for (const x of out.obs) assert.ok(Number.isFinite(x));
    }
    assert.ok(ended >= 3, `episodes ended: ${ended}`);
    const env = vec.envs[0];
    const zero = new Float32Array(3);
    assert.equal(env.step(zero), env.step(zero));
  } finally {
    for (const env of vec.envs) env.close?.();
  }
});

Deno.test("mujoco plugin: registered ids, prepared through the registry", async () => {
  const registry = builtinRegistry();
  for (const id of ["InvertedPendulum-v4", "Hopper-v4"]) {
    assert.ok(registry.names().envs.includes(id), id);
    await registry.prepareEnv(id);
    const env = registry.env(id).create({});
    assert.equal(env.id, id);
    env.close?.();
  }
  throwsConfig(() => registry.env("Hopper-v4").create({ ctrlCost: 1 }), "unknown key 'ctrlCost'");
});
