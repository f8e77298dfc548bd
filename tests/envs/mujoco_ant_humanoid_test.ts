/** Ant-v4 and Humanoid-v4: spaces, observation layout, reward terms, health, resume. */
import assert from "node:assert/strict";
import { loadMujocoEngine } from "../../envs/mujoco/runtime.ts";
import { Ant } from "../../envs/mujoco/ant.ts";
import { Humanoid } from "../../envs/mujoco/humanoid.ts";
import type { DataField } from "../../envs/mujoco/mujoco_env.ts";
import { randomActions, withEnvs } from "./mujoco_helpers.ts";
import { throwsConfig } from "../helpers.ts";

await loadMujocoEngine();

/** Ant with the engine's arrays readable. */
class AntProbe extends Ant {
  raw(name: DataField): Float64Array {
    return this.field(name).slice();
  }
  torsoXy(): [number, number] {
    const xpos = this.field("xpos");
    const torso = this.bodyId("torso");
    return [xpos[3 * torso], xpos[3 * torso + 1]];
  }
}

/** Humanoid with the engine's arrays and body masses readable. */
class HumanoidProbe extends Humanoid {
  raw(name: DataField): Float64Array {
    return this.field(name).slice();
  }
  masses(): Float64Array {
    return Float64Array.from(this.model.body_mass as Float64Array);
  }
}

const f32 = (xs: ArrayLike<number>) => Array.from(xs, Math.fround);
const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tolerance ${tol})`);

Deno.test("Ant-v4: spaces, dt, reset noise and the observation layout", () => {
  const env = new AntProbe();
  const contact = new AntProbe({ useContactForces: true });
  const withXy = new AntProbe({ excludeCurrentPositionsFromObservation: false });
  withEnvs([env, contact, withXy], () => {
    assert.equal(env.id, "Ant-v4");
    assert.equal(env.observationSpace.low.length, 27);
    assert.deepEqual(Array.from(env.actionSpace.low), Array(8).fill(-1));
    assert.deepEqual(Array.from(env.actionSpace.high), Array(8).fill(1));
    assert.equal(env.maxEpisodeSteps, 1000);
    assert.equal(env.frameSkip, 5);
    close(env.dt, 0.05, 1e-12);
    assert.equal(env.nq, 15);
    assert.equal(env.nv, 14);
    const obs = env.reset(3);
    const { qpos, qvel } = env.positions();
    const init = [0, 0, 0.75, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 15; i++) assert.ok(Math.abs(qpos[i] - init[i]) <= 0.1, `qpos[${i}]`);
    // qvel noise is 0.1 * N(0, 1): not bounded by 0.1
    assert.ok(qvel.some((v) => Math.abs(v) > 0.1) && qvel.every(Number.isFinite));
    assert.deepEqual(Array.from(obs), f32([...qpos.slice(2), ...qvel]));
    const r = env.step(new Float32Array(8).fill(0.5));
    const after = env.positions();
    assert.deepEqual(Array.from(r.obs), f32([...after.qpos.slice(2), ...after.qvel]));
    assert.equal(r.info!.reward_contact, undefined);

    // useContactForces: 27 + clip(cfrc_ext, -1, 1) over 14 bodies x 6
    assert.equal(contact.observationSpace.low.length, 111);
    contact.reset(3);
    const zero = new Float32Array(8);
    let c = contact.step(zero);
    for (let t = 0; t < 10; t++) c = contact.step(zero);
    const p = contact.positions();
    const cfrc = contact.raw("cfrc_ext");
    assert.equal(cfrc.length, 84);
    assert.deepEqual(
      Array.from(c.obs),
      f32([...p.qpos.slice(2), ...p.qvel, ...cfrc.map((v) => Math.min(1, Math.max(-1, v)))]),
    );
    assert.ok(cfrc.some((v) => Math.abs(v) > 1), "the ant stands on the floor: forces above 1");
    assert.ok(c.obs.slice(27).every((v) => Math.abs(v) <= 1));

    // excludeCurrentPositionsFromObservation: false prepends the torso's x and y
    assert.equal(withXy.observationSpace.low.length, 29);
    const o = withXy.reset(3);
    assert.deepEqual(Array.from(o), f32([...qpos, ...qvel]));
    const both = new Ant({ useContactForces: true, excludeCurrentPositionsFromObservation: false });
    assert.equal(both.observationSpace.low.length, 113);
    both.close();
    throwsConfig(() => new Ant({ contactCost: 1 }), "envParams", "unknown key 'contactCost'");
  });
});

Deno.test("Humanoid-v4: spaces, dt, reset noise and the observation layout", () => {
  const env = new HumanoidProbe();
  const withXy = new HumanoidProbe({ excludeCurrentPositionsFromObservation: false });
  withEnvs([env, withXy], () => {
    assert.equal(env.id, "Humanoid-v4");
    assert.equal(env.observationSpace.low.length, 376);
    assert.deepEqual(Array.from(env.actionSpace.low), Array(17).fill(Math.fround(-0.4)));
    assert.deepEqual(Array.from(env.actionSpace.high), Array(17).fill(Math.fround(0.4)));
    assert.equal(env.frameSkip, 5);
    close(env.dt, 0.015, 1e-12);
    assert.equal(env.nq, 24);
    assert.equal(env.nv, 23);
    // Gymnasium's humanoid.xml: RK4, the PGS solver (mjSOL_PGS = 0), 50 iterations
    const { opt } = env.physics().model;
    assert.equal(opt.solver, 0);
    assert.equal(opt.iterations, 50);
    const layout = () => {
      const { qpos, qvel } = env.positions();
      const parts = [
        qpos.slice(2),
        qvel,
        env.raw("cinert"),
        env.raw("cvel"),
        env.raw("qfrc_actuator"),
        env.raw("cfrc_ext"),
      ];
      assert.deepEqual(parts.map((x) => x.length), [22, 23, 140, 84, 23, 84]);
      return f32(parts.flatMap((x) => Array.from(x)));
    };
    const obs = env.reset(3);
    const { qpos, qvel } = env.positions();
    const init = [0, 0, 1.4, 1, ...Array(20).fill(0)];
    for (let i = 0; i < 24; i++) assert.ok(Math.abs(qpos[i] - init[i]) <= 0.01, `qpos[${i}]`);
    for (let i = 0; i < 23; i++) assert.ok(Math.abs(qvel[i]) <= 0.01, `qvel[${i}]`);
    assert.deepEqual(Array.from(obs), layout());
    let r = env.step(new Float32Array(17).fill(0.2));
    for (let t = 0; t < 20; t++) r = env.step(new Float32Array(17).fill(0.2));
    assert.deepEqual(Array.from(r.obs), layout());
    assert.ok(env.raw("cfrc_ext").some((v) => v !== 0), "feet on the floor: contact forces");
    assert.ok(env.raw("qfrc_actuator").some((v) => v !== 0));

    assert.equal(withXy.observationSpace.low.length, 378);
    const o = withXy.reset(3);
    assert.deepEqual(Array.from(o.slice(0, 47)), f32([...qpos, ...qvel]));
    throwsConfig(() => new Humanoid({ contactCostWeight: 1 }), "unknown key 'contactCostWeight'");
  });
});

Deno.test("Ant-v4: reward = x_velocity + healthy - ctrl (- contact when used), terms in info", () => {
  const env = new AntProbe();
  const contact = new AntProbe({ useContactForces: true });
  const weighted = new AntProbe({ ctrlCostWeight: 0.1, healthyReward: 0 });
  withEnvs([env, contact, weighted], () => {
    const a = new Float32Array([0.5, -0.25, 1, 0, -1, 0.125, 0.75, -0.5]);
    // sum of squares: 0.25 + 0.0625 + 1 + 0 + 1 + 0.015625 + 0.5625 + 0.25
    const squares = 3.140625;
    const zero = new Float32Array(8);
    for (const e of [env, contact, weighted]) {
      e.reset(0);
      for (let t = 0; t < 30; t++) e.step(zero); // settle on the floor
    }
    const [xBefore, yBefore] = env.torsoXy();
    const r = env.step(a);
    const [xAfter, yAfter] = env.torsoXy();
    const xVelocity = (xAfter - xBefore) / env.dt;
    const info = r.info!;
    assert.equal(info.x_position, xAfter);
    assert.equal(info.y_position, yAfter);
    close(info.x_velocity, xVelocity, 1e-12);
    close(info.y_velocity, (yAfter - yBefore) / env.dt, 1e-12);
    assert.equal(info.reward_forward, info.x_velocity);
    close(info.reward_ctrl, -0.5 * squares, 1e-12);
    assert.equal(info.reward_healthy, 1);
    close(r.reward, xVelocity + 1 - 0.5 * squares);
    assert.equal(r.terminated, false);

    // the contact cost enters only with useContactForces (a gentle action keeps the feet down)
    const gentle = new Float32Array(8).fill(0.125); // sum of squares 8 * 0.015625 = 0.125
    const [cxBefore] = contact.torsoXy();
    const c = contact.step(gentle);
    const cxVelocity = (contact.torsoXy()[0] - cxBefore) / contact.dt;
    const clipped = contact.raw("cfrc_ext").map((v) => Math.min(1, Math.max(-1, v)));
    const contactCost = 5e-4 * clipped.reduce((s, v) => s + v * v, 0);
    assert.ok(contactCost > 0, "the feet touch the floor");
    close(c.info!.x_velocity, cxVelocity, 1e-12);
    close(c.info!.reward_contact, -contactCost, 1e-12);
    close(c.info!.reward_ctrl, -0.5 * 0.125, 1e-12);
    close(c.reward, cxVelocity + 1 - 0.5 * 0.125 - contactCost);
    assert.deepEqual(Array.from(c.obs.slice(27)), f32(clipped));

    const w = weighted.step(a);
    close(w.reward, xVelocity - 0.1 * squares);
    // the cost is on the action as given, before MuJoCo clamps it to ctrlrange
    const big = env.step(new Float32Array([2, 0, 0, 0, 0, 0, 0, 0]));
    close(big.info!.reward_ctrl, -0.5 * 4, 1e-12);
  });
});

Deno.test("Humanoid-v4: reward = 1.25 * mass-centre x velocity + 5 - 0.1 * |ctrl|^2", () => {
  const env = new HumanoidProbe();
  const weighted = new HumanoidProbe({
    forwardRewardWeight: 2,
    ctrlCostWeight: 1,
    healthyReward: 0,
  });
  withEnvs([env, weighted], () => {
    const masses = env.masses();
    assert.equal(masses.length, 14);
    assert.equal(masses[0], 0); // the world body
    const total = masses.reduce((s, m) => s + m, 0);
    const centre = () => {
      const xipos = env.raw("xipos");
      let x = 0;
      let y = 0;
      for (let b = 0; b < 14; b++) {
        x += masses[b] * xipos[3 * b];
        y += masses[b] * xipos[3 * b + 1];
      }
      return [x / total, y / total];
    };
    env.reset(0);
    weighted.reset(0);
    const a = new Float32Array([
      0.25,
      -0.125,
      0.375,
      0,
      -0.25,
      0.125,
      0.3125,
      -0.375,
      0.0625,
      0,
      0.25,
      -0.25,
      0.125,
      0,
      0.375,
      -0.0625,
      0.1875,
    ]);
    // sum of squares: 4 * 0.0625 + 3 * 0.015625 + 3 * 0.140625 + 0.09765625 + 2 * 0.00390625
    //   + 0.03515625
    const squares = 0.859375;
    assert.equal(Array.from(a).reduce((s, v) => s + v * v, 0), squares);
    const before = centre();
    const hand = env.massCentre();
    close(hand[0], before[0], 1e-15);
    const r = env.step(a);
    const after = centre();
    const xVelocity = (after[0] - before[0]) / env.dt;
    const info = r.info!;
    close(info.x_position, after[0], 1e-15);
    close(info.y_position, after[1], 1e-15);
    close(info.x_velocity, xVelocity, 1e-9);
    close(info.y_velocity, (after[1] - before[1]) / env.dt, 1e-9);
    close(info.reward_forward, 1.25 * xVelocity, 1e-9);
    close(info.reward_ctrl, -0.1 * squares, 1e-15);
    assert.equal(info.reward_healthy, 5);
    close(r.reward, 1.25 * xVelocity + 5 - 0.1 * squares);
    // the torso's own x is not what is rewarded
    assert.notEqual(info.x_position, env.positions().qpos[0]);

    const w = weighted.step(a);
    close(w.reward, 2 * xVelocity - squares);
    // the cost is on data.ctrl, i.e. the action before MuJoCo clamps it to [-0.4, 0.4]
    const big = new Float32Array(17);
    big[0] = 1;
    close(env.step(big).info!.reward_ctrl, -0.1, 1e-15);
  });
});

Deno.test("Ant-v4: healthy iff finite and 0.2 <= z <= 1.0 (both bounds included)", () => {
  const env = new Ant();
  withEnvs([env], () => {
    const qpos0 = [0, 0, 0.75, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const qvel0 = new Array(14).fill(0);
    const at = (z: number, qpos: number[] = qpos0, qvel: number[] = qvel0) => {
      const q = qpos.slice();
      q[2] = z;
      env.setState(q, qvel);
      return env.isHealthy();
    };
    assert.equal(at(0.75), true);
    assert.equal(at(0.2), true);
    assert.equal(at(0.2 + 1e-9), true);
    assert.equal(at(0.2 - 1e-9), false);
    assert.equal(at(1.0), true);
    assert.equal(at(1.0 - 1e-9), true);
    assert.equal(at(1.0 + 1e-9), false);
    assert.equal(at(0.75, [1e6, -1e6, ...qpos0.slice(2)]), true); // x and y are free
    const inf = qpos0.slice();
    inf[7] = Infinity;
    assert.equal(at(0.75, inf), false);
    const nan = qvel0.slice();
    nan[13] = NaN;
    assert.equal(at(0.75, qpos0, nan), false);
    assert.equal(at(0.75, qpos0, qvel0.map(() => 1e6)), true); // no bound on the state
  });
});

Deno.test("Humanoid-v4: healthy iff 1.0 < z < 2.0 (both bounds excluded), nothing else", () => {
  const env = new Humanoid();
  withEnvs([env], () => {
    const qpos0 = [0, 0, 1.4, 1, ...Array(20).fill(0)];
    const qvel0 = new Array(23).fill(0);
    const at = (z: number, qvel: number[] = qvel0) => {
      const q = qpos0.slice();
      q[2] = z;
      env.setState(q, qvel);
      return env.isHealthy();
    };
    assert.equal(at(1.4), true);
    assert.equal(at(1.0), false);
    assert.equal(at(1.0 + 1e-9), true);
    assert.equal(at(2.0), false);
    assert.equal(at(2.0 - 1e-9), true);
    // v4 checks only the torso height: huge velocities are healthy
    assert.equal(at(1.4, qvel0.map(() => 1e6)), true);
  });
});

Deno.test("Ant-v4 and Humanoid-v4: unhealthy terminates, with the healthy reward paid", () => {
  const ant = new Ant();
  const humanoid = new Humanoid();
  const lenient = new Humanoid({ terminateWhenUnhealthy: false });
  withEnvs([ant, humanoid, lenient], () => {
    // random torques make the ant jump above z = 1 or fall; zero torques let the humanoid fall
    for (
      const [env, actions, healthy] of [
        [ant, randomActions(ant, 1000, 1), 1],
        [humanoid, Array(1000).fill(new Float32Array(17)), 5],
      ] as const
    ) {
      env.reset(0);
      let steps = 0;
      let r;
      do {
        r = env.step(actions[steps]);
        steps++;
        assert.equal(r.terminated, !env.isHealthy(), `${env.id} step ${steps}`);
        assert.equal(r.info!.reward_healthy, healthy);
      } while (!r.terminated && steps < 1000);
      assert.ok(r.terminated && steps < 200, `${env.id} ended after ${steps} steps`);
    }
    lenient.reset(0);
    const zero = new Float32Array(17);
    let unhealthy = 0;
    for (let t = 0; t < 100; t++) {
      const r = lenient.step(zero);
      assert.equal(r.terminated, false);
      assert.equal(r.info!.reward_healthy, lenient.isHealthy() ? 5 : 0);
      if (!lenient.isHealthy()) unhealthy++;
    }
    assert.ok(unhealthy > 0);
  });
});

Deno.test("Ant-v4 and Humanoid-v4: truncation at exactly 1000 steps without termination", () => {
  for (
    const env of [
      new Ant({ terminateWhenUnhealthy: false }),
      new Humanoid({ terminateWhenUnhealthy: false }),
    ]
  ) {
    withEnvs([env], () => {
      env.reset(2);
      const actions = randomActions(env, 1000, 4);
      for (let t = 1; t <= 1000; t++) {
        const r = env.step(actions[t - 1]);
        assert.equal(r.terminated, false);
        assert.equal(r.truncated, t === 1000, `${env.id} step ${t}`);
      }
    });
  }
});
