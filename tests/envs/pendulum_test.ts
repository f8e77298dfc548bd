import assert from "node:assert/strict";
import {
  angleNormalize,
  createPendulum,
  Pendulum,
  type PendulumState,
} from "../../envs/pendulum.ts";

const RNG = { s: [1, 2, 3, 4] as [number, number, number, number], spare: null };

function assertClose(actual: number, expected: number, tol = 1e-6, what = "value"): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected}, got ${actual} (tol ${tol})`,
  );
}

/** A pendulum placed in a chosen state. */
function at(th: number, thdot: number, g?: number): Pendulum {
  const env = new Pendulum(g === undefined ? {} : { g });
  env.load({ th, thdot, steps: 0, rng: RNG });
  return env;
}

function act(u: number): Float32Array {
  return new Float32Array([u]);
}

Deno.test("Pendulum: spaces and limits match Gymnasium", () => {
  const env = new Pendulum();
  assert.equal(env.id, "Pendulum-v1");
  assert.deepEqual(Array.from(env.observationSpace.low), [-1, -1, -8]);
  assert.deepEqual(Array.from(env.observationSpace.high), [1, 1, 8]);
  assert.deepEqual(Array.from(env.actionSpace.low), [-2]);
  assert.deepEqual(Array.from(env.actionSpace.high), [2]);
  assert.equal(env.maxEpisodeSteps, 200);
  assert.equal(env.g, 10);
});

Deno.test("Pendulum: hand-computed step from th=pi/4, thdot=0.5, u=1.5", () => {
  const env = at(Math.PI / 4, 0.5);
  const r = env.step(act(1.5));
  // cost = (pi/4)^2 + 0.1*0.5^2 + 0.001*1.5^2 = 0.61685027506808 + 0.025 + 0.00225
  assertClose(r.reward, -0.6441002750680849, 1e-9, "reward");
  // newthdot = 0.5 + (15*sin(pi/4) + 3*1.5)*0.05 = 0.5 + (10.60660171779821 + 4.5)*0.05
  // newth = pi/4 + 1.2553300858899106*0.05 = 0.8481646676919438
  const s = env.state();
  assertClose(s.thdot, 1.2553300858899106, 1e-9, "thdot");
  assertClose(s.th, 0.8481646676919438, 1e-9, "th");
  assertClose(r.obs[0], 0.661360882752803, 1e-6, "cos");
  assertClose(r.obs[1], 0.7500678521070164, 1e-6, "sin");
  assertClose(r.obs[2], 1.2553300858899106, 1e-6, "obs thdot");
  assert.equal(r.terminated, false);
  assert.equal(r.truncated, false);
  assert.equal(s.steps, 1);
});

Deno.test("Pendulum: torque is clipped to +-2 and speed to +-8", () => {
  // th=pi/2, thdot=7.9, u=5 -> u=2; cost = (pi/2)^2 + 0.1*7.9^2 + 0.001*2^2 = 8.71240110027234
  // newthdot = 7.9 + (15*1 + 3*2)*0.05 = 8.95 -> 8; newth = pi/2 + 8*0.05
  const up = at(Math.PI / 2, 7.9);
  const r = up.step(act(5));
  assertClose(r.reward, -8.71240110027234, 1e-9, "reward");
  assert.equal(up.state().thdot, 8);
  assertClose(up.state().th, Math.PI / 2 + 0.4, 1e-12, "th");
  assertClose(r.obs[0], -0.38941834230865036, 1e-6, "cos");
  assertClose(r.obs[1], 0.9210609940028851, 1e-6, "sin");
  assert.equal(r.obs[2], 8);
  // Mirror image: u=-3 -> -2, thdot -> -8.
  const down = at(-Math.PI / 2, -7.9);
  const d = down.step(act(-3));
  assertClose(d.reward, -8.71240110027234, 1e-9, "mirrored reward");
  assert.equal(down.state().thdot, -8);
  // Clipping: u=5 behaves exactly like u=2.
  const a = at(0.3, -0.2).step(act(5));
  const b = at(0.3, -0.2).step(act(2));
  assert.deepEqual(Array.from(a.obs), Array.from(b.obs));
  assert.equal(a.reward, b.reward);
});

Deno.test("Pendulum: cost uses the normalised angle", () => {
  // th=5: angle_normalize(5) = 5 - 2pi = -1.2831853071795862
  // cost = 1.2831853071795862^2 + 0.1*1 + 0.001*0.25 = 1.7468145325615692
  // newthdot = -1 + (15*sin(5) - 1.5)*0.05 = -1.7941932059973538; newth = 5 + newthdot*0.05
  const env = at(5, -1);
  const r = env.step(act(-0.5));
  assertClose(r.reward, -1.7468145325615692, 1e-9, "reward");
  assertClose(env.state().thdot, -1.7941932059973538, 1e-9, "thdot");
  assertClose(env.state().th, 4.910290339700133, 1e-9, "th");
  // Same physical angle one turn later gives the same reward.
  const turned = at(5 - 2 * Math.PI, -1).step(act(-0.5));
  assertClose(turned.reward, r.reward, 1e-9, "reward one turn earlier");
});

Deno.test("Pendulum: g param changes the dynamics", () => {
  // g=9.81: newthdot = 0.2 + (1.5*9.81*sin(0.3) + 3*0.7)*0.05
  const env = at(0.3, 0.2, 9.81);
  env.step(act(0.7));
  const u = Math.fround(0.7);
  const expected = 0.2 + (14.715 * 0.29552020666133955 + 3 * u) * 0.05;
  assertClose(env.state().thdot, expected, 1e-9, "thdot");
  assertClose(expected, 0.5224289902629413, 1e-9, "hand value");
});

Deno.test("angleNormalize: Python modulo edge behaviour", () => {
  assert.equal(angleNormalize(0), 0);
  assert.equal(angleNormalize(Math.PI), -Math.PI);
  assert.equal(angleNormalize(-Math.PI), -Math.PI);
  assert.equal(angleNormalize(3 * Math.PI), -Math.PI);
  assert.equal(angleNormalize(-3 * Math.PI), -Math.PI);
  assert.equal(angleNormalize(2 * Math.PI), 0);
  assertClose(angleNormalize(5), 5 - 2 * Math.PI, 1e-12);
  assertClose(angleNormalize(-5), 2 * Math.PI - 5, 1e-12);
  // Negative inputs land in [-pi, pi) (Python's % is non-negative), unlike JS's `%`.
  assertClose(angleNormalize(-100), 0.5309649148733833, 1e-12);
  assertClose(angleNormalize(100), -0.5309649148733762, 1e-12);
  // Values straight from numpy: just below -pi wraps to just below +pi, and one ulp below -pi
  // rounds onto +pi exactly.
  assert.equal(angleNormalize(-3.141592653589794), 3.1415926535897922);
  assert.equal(angleNormalize(-3.1415926535897936), Math.PI);
  for (let x = -20; x <= 20; x += 0.37) {
    const y = angleNormalize(x);
    assert.ok(y >= -Math.PI && y < Math.PI, `angleNormalize(${x}) = ${y}`);
    assertClose(Math.cos(y), Math.cos(x), 1e-9);
    assertClose(Math.sin(y), Math.sin(x), 1e-9);
  }
});

Deno.test("Pendulum: never terminates, truncates exactly at step 200", () => {
  const env = new Pendulum();
  env.reset(7);
  const u = act(0.5);
  for (let t = 1; t < 200; t++) {
    const r = env.step(u);
    assert.equal(r.terminated, false);
    assert.equal(r.truncated, false, `step ${t}`);
  }
  const last = env.step(u);
  assert.equal(last.terminated, false);
  assert.equal(last.truncated, true);
  env.reset();
  assert.equal(env.state().steps, 0);
  assert.equal(env.step(u).truncated, false);
});

Deno.test("Pendulum: reset draws th in [-pi, pi), thdot in [-1, 1)", () => {
  const env = new Pendulum();
  env.reset(123);
  let thMin = Infinity, thMax = -Infinity, vMin = Infinity, vMax = -Infinity;
  for (let i = 0; i < 2000; i++) {
    const obs = env.reset();
    const { th, thdot } = env.state();
    assert.ok(th >= -Math.PI && th < Math.PI);
    assert.ok(thdot >= -1 && thdot < 1);
    assertClose(obs[0], Math.cos(th), 1e-6);
    assertClose(obs[1], Math.sin(th), 1e-6);
    assertClose(obs[2], thdot, 1e-6);
    thMin = Math.min(thMin, th);
    thMax = Math.max(thMax, th);
    vMin = Math.min(vMin, thdot);
    vMax = Math.max(vMax, thdot);
  }
  assert.ok(thMin < -Math.PI + 0.05 && thMax > Math.PI - 0.05, `th range ${thMin}..${thMax}`);
  assert.ok(vMin < -0.98 && vMax > 0.98, `thdot range ${vMin}..${vMax}`);
});

function rollout(env: Pendulum, seed: number, steps: number): number[] {
  const out = Array.from(env.reset(seed));
  for (let t = 0; t < steps; t++) {
    const r = env.step(act(2 * Math.sin(0.3 * t)));
    out.push(...r.obs, r.reward);
  }
  return out;
}

Deno.test("Pendulum: same seed gives the same trajectory, different seeds differ", () => {
  const a = rollout(new Pendulum(), 42, 50);
  const b = rollout(new Pendulum(), 42, 50);
  const c = rollout(new Pendulum(), 43, 50);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // Re-seeding an env that has already run restarts its stream.
  const env = new Pendulum();
  rollout(env, 5, 10);
  assert.deepEqual(rollout(env, 42, 50), a);
});

Deno.test("Pendulum: state()/load() round trip continues identically", () => {
  const a = new Pendulum();
  rollout(a, 9, 37);
  const saved = JSON.parse(JSON.stringify(a.state())) as PendulumState;
  const b = new Pendulum();
  b.reset(1000);
  b.load(saved);
  assert.deepEqual(b.state(), a.state());
  for (let t = 0; t < 400; t++) {
    // Crosses the 200-step limit and several unseeded resets, which consume the generator.
    const action = act(Math.cos(0.7 * t) * 2.5);
    const ra = a.step(action);
    const rb = b.step(action);
    assert.deepEqual(rb, ra);
    if (ra.truncated || t % 97 === 0) {
      assert.deepEqual(Array.from(b.reset()), Array.from(a.reset()));
    }
  }
  assert.deepEqual(b.state(), a.state());
  assert.throws(() => b.load({ th: 0, thdot: 0 }), /Pendulum-v1\.load/);
  assert.throws(() => b.load(null), /Pendulum-v1\.load/);
});

Deno.test("Pendulum: factory validates params", () => {
  const env = createPendulum({});
  assert.equal(env.id, "Pendulum-v1");
  assert.equal((createPendulum({ g: 9.81 }) as Pendulum).g, 9.81);
  assert.throws(() => createPendulum({ foo: 1 }), {
    message: "envParams: unknown key 'foo'; allowed: g",
  });
  assert.throws(() => createPendulum({ g: "9.8" }), /envParams\.g/);
  assert.throws(() => createPendulum({ g: Number.NaN }), /envParams\.g/);
  assert.throws(() => createPendulum({ g: Infinity }), /envParams\.g/);
  assert.throws(() => new Pendulum({ g: Number.NaN }), /envParams\.g/);
  assert.throws(() => env.step(new Float32Array(2)), /expected an action of length 1/);
});
