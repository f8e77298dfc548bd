import assert from "node:assert/strict";
import {
  createMountainCarContinuous,
  MountainCarContinuous,
  type MountainCarContinuousState,
} from "../../envs/mountain_car_continuous.ts";

const RNG = { s: [1, 2, 3, 4] as [number, number, number, number], spare: null };

function assertClose(actual: number, expected: number, tol = 1e-6, what = "value"): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected}, got ${actual} (tol ${tol})`,
  );
}

/** A car placed in a chosen state. */
function at(
  position: number,
  velocity: number,
  goalVelocity?: number,
  steps = 0,
): MountainCarContinuous {
  const env = new MountainCarContinuous(goalVelocity === undefined ? {} : { goalVelocity });
  env.load({ position, velocity, steps, rng: RNG });
  return env;
}

function act(a: number): Float32Array {
  return new Float32Array([a]);
}

Deno.test("MountainCarContinuous: spaces and limits match Gymnasium", () => {
  const env = new MountainCarContinuous();
  assert.equal(env.id, "MountainCarContinuous-v0");
  assert.deepEqual(Array.from(env.observationSpace.low), [Math.fround(-1.2), Math.fround(-0.07)]);
  assert.deepEqual(Array.from(env.observationSpace.high), [Math.fround(0.6), Math.fround(0.07)]);
  assert.deepEqual(Array.from(env.actionSpace.low), [-1]);
  assert.deepEqual(Array.from(env.actionSpace.high), [1]);
  assert.equal(env.maxEpisodeSteps, 999);
  assert.equal(env.goalVelocity, 0);
});

Deno.test("MountainCarContinuous: hand-computed step from x=-0.5, v=0.01, a=0.5", () => {
  // v' = 0.01 + 0.5*0.0015 - 0.0025*cos(-1.5) = 0.01 + 0.00075 - 0.0025*0.0707372016677029
  //    = 0.010573156995830744;  x' = -0.5 + v' = -0.4894268430041693
  // reward = -0.1 * 0.5^2 = -0.025
  const env = at(-0.5, 0.01);
  const r = env.step(act(0.5));
  assertClose(env.state().velocity, 0.010573156995830744, 1e-12, "velocity");
  assertClose(env.state().position, -0.4894268430041693, 1e-12, "position");
  assertClose(r.obs[0], -0.4894268430041693, 1e-6, "obs position");
  assertClose(r.obs[1], 0.010573156995830744, 1e-6, "obs velocity");
  assertClose(r.reward, -0.025, 1e-9, "reward");
  assert.equal(r.terminated, false);
  assert.equal(r.truncated, false);
});

Deno.test("MountainCarContinuous: force is clipped, the action cost is not", () => {
  // a=2 -> force 1: v' = 0.01 + 0.0015 - 0.0025*cos(-1.5) = 0.011323156995830742
  // reward = -0.1 * 2^2 = -0.4 (raw action)
  const env = at(-0.5, 0.01);
  const r = env.step(act(2));
  assertClose(env.state().velocity, 0.011323156995830742, 1e-12, "velocity");
  assertClose(env.state().position, -0.48867684300416925, 1e-12, "position");
  assertClose(r.reward, -0.4, 1e-9, "reward");
  const clipped = at(-0.5, 0.01);
  clipped.step(act(1));
  assert.equal(clipped.state().velocity, env.state().velocity);
  assert.equal(clipped.state().position, env.state().position);
  // a=-3 -> force -1, cost 0.9
  const neg = at(-0.5, 0.01);
  assertClose(neg.step(act(-3)).reward, -0.9, 1e-9, "reward at a=-3");
});

Deno.test("MountainCarContinuous: velocity is clipped to +-0.07", () => {
  // x=-1, v=0.069, a=1: v' = 0.069 + 0.0015 - 0.0025*cos(-3) = 0.07297498124150112 -> 0.07
  // x' = -1 + 0.07 = -0.93
  const env = at(-1, 0.069);
  const r = env.step(act(1));
  assert.equal(env.state().velocity, 0.07);
  assertClose(env.state().position, -0.93, 1e-12, "position");
  assert.equal(r.terminated, false);
  // And symmetric on the negative side: x=-0.2, v=-0.0695, a=-1:
  // v' = -0.0695 - 0.0015 - 0.0025*cos(-0.6) = -0.0730633390372742 -> -0.07
  const back = at(-0.2, -0.0695);
  back.step(act(-1));
  assert.equal(back.state().velocity, -0.07);
  assertClose(back.state().position, -0.27, 1e-12, "position");
});

Deno.test("MountainCarContinuous: left wall clamps position and zeroes velocity", () => {
  // x=-1.19, v=-0.02, a=-1: v' = -0.02 - 0.0015 - 0.0025*cos(-3.57) = -0.01922592868160514
  // x' = -1.2092259286816052 -> -1.2, and v' < 0 at the wall -> 0
  const env = at(-1.19, -0.02);
  const r = env.step(act(-1));
  assert.equal(env.state().position, -1.2);
  assert.equal(env.state().velocity, 0);
  assertClose(r.obs[0], -1.2, 1e-6, "obs position");
  assert.equal(r.obs[1], 0);
  assertClose(r.reward, -0.1, 1e-9, "reward");
  // At the wall with a positive velocity after the update, velocity is kept.
  const off = at(-1.2, 0);
  off.step(act(1));
  // v' = 0 + 0.0015 - 0.0025*cos(-3.6) = 0.0037418960408353674; x' = -1.1962581039591647
  assertClose(off.state().velocity, 0.0037418960408353674, 1e-12, "velocity");
  assertClose(off.state().position, -1.1962581039591647, 1e-12, "position");
});

Deno.test("MountainCarContinuous: terminates at the goal with +100", () => {
  // x=0.44, v=0.02, a=1: v' = 0.0215 - 0.0025*cos(1.32) = 0.02087956137086907
  // x' = 0.46087956137086905 >= 0.45 and v' >= 0 -> terminated, reward 100 - 0.1 = 99.9
  const env = at(0.44, 0.02);
  const r = env.step(act(1));
  assertClose(env.state().position, 0.46087956137086905, 1e-12, "position");
  assertClose(env.state().velocity, 0.02087956137086907, 1e-12, "velocity");
  assert.equal(r.terminated, true);
  assert.equal(r.truncated, false);
  assertClose(r.reward, 99.9, 1e-9, "reward");
  // With goalVelocity 0.05 the same transition does not reach the goal.
  const strict = at(0.44, 0.02, 0.05);
  const s = strict.step(act(1));
  assert.equal(s.terminated, false);
  assertClose(s.reward, -0.1, 1e-9, "reward");
  // The right wall clamps position at 0.6 (and counts as the goal).
  const wall = at(0.59, 0.069);
  const w = wall.step(act(1));
  assert.equal(wall.state().position, 0.6);
  assert.equal(wall.state().velocity, 0.07);
  assert.equal(w.terminated, true);
  // Not terminated just short of the goal.
  assert.equal(at(0.3, 0).step(act(0)).terminated, false);
});

Deno.test("MountainCarContinuous: truncates exactly at step 999", () => {
  const env = new MountainCarContinuous();
  env.reset(3);
  const zero = act(0);
  for (let t = 1; t < 999; t++) {
    const r = env.step(zero);
    assert.equal(r.terminated, false, `step ${t}`);
    assert.equal(r.truncated, false, `step ${t}`);
  }
  const last = env.step(zero);
  assert.equal(last.terminated, false);
  assert.equal(last.truncated, true);
  // Reaching the goal on the 999th step sets both flags (Gymnasium's TimeLimit does too).
  const both = at(0.44, 0.02, undefined, 998).step(act(1));
  assert.equal(both.terminated, true);
  assert.equal(both.truncated, true);
});

Deno.test("MountainCarContinuous: reset draws x in [-0.6, -0.4), v = 0", () => {
  const env = new MountainCarContinuous();
  env.reset(11);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < 2000; i++) {
    const obs = env.reset();
    const { position, velocity } = env.state();
    assert.ok(position >= -0.6 && position < -0.4, `position ${position}`);
    assert.equal(velocity, 0);
    assert.equal(obs[0], Math.fround(position));
    assert.equal(obs[1], 0);
    lo = Math.min(lo, position);
    hi = Math.max(hi, position);
  }
  assert.ok(lo < -0.595 && hi > -0.405, `range ${lo}..${hi}`);
});

function rollout(env: MountainCarContinuous, seed: number, steps: number): number[] {
  const out = Array.from(env.reset(seed));
  for (let t = 0; t < steps; t++) {
    const r = env.step(act(Math.sin(0.05 * t)));
    out.push(...r.obs, r.reward);
  }
  return out;
}

Deno.test("MountainCarContinuous: same seed gives the same trajectory, different seeds differ", () => {
  const a = rollout(new MountainCarContinuous(), 42, 100);
  const b = rollout(new MountainCarContinuous(), 42, 100);
  const c = rollout(new MountainCarContinuous(), 43, 100);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("MountainCarContinuous: state()/load() round trip continues identically", () => {
  const a = new MountainCarContinuous();
  rollout(a, 9, 123);
  const saved = JSON.parse(JSON.stringify(a.state())) as MountainCarContinuousState;
  const b = new MountainCarContinuous();
  b.reset(77);
  b.load(saved);
  assert.deepEqual(b.state(), a.state());
  for (let t = 0; t < 2500; t++) {
    const action = act(t % 300 < 150 ? -1 : 1);
    const ra = a.step(action);
    const rb = b.step(action);
    assert.deepEqual(rb, ra);
    if (ra.terminated || ra.truncated) assert.deepEqual(b.reset(), a.reset());
  }
  assert.deepEqual(b.state(), a.state());
  assert.throws(() => b.load({ position: 0, velocity: 0, steps: -1, rng: RNG }), /\.load/);
});

Deno.test("MountainCarContinuous: factory validates params", () => {
  const env = createMountainCarContinuous({ goalVelocity: 0.01 }) as MountainCarContinuous;
  assert.equal(env.goalVelocity, 0.01);
  assert.equal(createMountainCarContinuous({}).id, "MountainCarContinuous-v0");
  assert.throws(() => createMountainCarContinuous({ goal_velocity: 0 }), {
    message:
      "envParams: unknown key 'goal_velocity' (did you mean 'goalVelocity'?); allowed: goalVelocity",
  });
  assert.throws(
    () => createMountainCarContinuous({ goalVelocity: "0" }),
    /envParams\.goalVelocity/,
  );
  assert.throws(() => createMountainCarContinuous({ goalVelocity: Number.NaN }), /goalVelocity/);
  assert.throws(() => env.step(new Float32Array(0)), /expected an action of length 1/);
});
