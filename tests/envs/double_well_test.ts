import assert from "node:assert/strict";
import {
  createDoubleWell,
  DoubleWell,
  doubleWellModes,
  type DoubleWellState,
} from "../../envs/double_well.ts";

function assertClose(actual: number, expected: number, tol = 1e-6, what = "value"): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected}, got ${actual} (tol ${tol})`,
  );
}

function act(x: number, y: number): Float32Array {
  return new Float32Array([x, y]);
}

/** 0.8 * cos(45 deg) = 0.4 * sqrt(2) */
const M = 0.5656854249492381;

Deno.test("DoubleWell: spaces, modes and episode shape", () => {
  const env = new DoubleWell();
  assert.equal(env.id, "DoubleWell-v0");
  assert.deepEqual(Array.from(env.observationSpace.low), [-1]);
  assert.deepEqual(Array.from(env.observationSpace.high), [1]);
  assert.deepEqual(Array.from(env.actionSpace.low), [-1, -1]);
  assert.deepEqual(Array.from(env.actionSpace.high), [1, 1]);
  assert.equal(env.maxEpisodeSteps, 1);
  const modes = doubleWellModes();
  assert.equal(modes.length, 2);
  assertClose(modes[0][0], M, 1e-12);
  assertClose(modes[0][1], M, 1e-12);
  assertClose(modes[1][0], M, 1e-12);
  assertClose(modes[1][1], -M, 1e-12);
  const [[x, y]] = doubleWellModes(0.5);
  assertClose(x, 0.5 * Math.SQRT1_2, 1e-12);
  assertClose(y, 0.5 * Math.SQRT1_2, 1e-12);
  assert.deepEqual(Array.from(env.reset(5)), [1]);
  const r = env.step(act(0, 0));
  assert.deepEqual(Array.from(r.obs), [1]);
  assert.equal(r.terminated, true);
  assert.equal(r.truncated, false);
  // Every step terminates, also without a reset in between.
  assert.equal(env.step(act(0.3, 0.3)).terminated, true);
});

Deno.test("DoubleWell: reward is 1 at both modes and small between them", () => {
  const env = new DoubleWell();
  const [plus, minus] = doubleWellModes();
  const rp = env.step(act(plus[0], plus[1]));
  const rm = env.step(act(minus[0], minus[1]));
  assertClose(rp.reward, 1, 1e-6, "reward at m+");
  assertClose(rm.reward, 1, 1e-6, "reward at m-");
  assert.equal(rp.info?.mode, 1);
  assert.equal(rm.info?.mode, -1);
  // Midpoint (0.566, 0): ||a - m||^2 = 0.8^2 / 2 = 0.32; exp(-0.32 / 0.08) = exp(-4)
  const mid = env.step(act(0.566, 0));
  assertClose(mid.reward, 0.01831563888873418, 1e-6, "reward at midpoint");
  assert.ok(mid.reward < 0.02);
  assert.equal(mid.info?.mode, 1, "ties go to mode +1");
  // Origin: ||a - m||^2 = 0.64; exp(-0.64 / 0.08) = exp(-8)
  assertClose(env.step(act(0, 0)).reward, 0.00033546262790251185, 1e-9, "reward at origin");
});

Deno.test("DoubleWell: hand-computed rewards off the modes", () => {
  const env = new DoubleWell();
  // (0.5, 0.5): ||a - m+||^2 = 2 * (0.5 - 0.5656854)^2 = 0.00862915010152399
  // reward = exp(-0.00862915 / 0.08) = 0.8977493442898294
  assertClose(env.step(act(0.5, 0.5)).reward, 0.8977493442898294, 1e-6);
  // (0.25, -0.75) is nearer m-: d = (0.25 - 0.5657)^2 + (-0.75 + 0.5657)^2 = 0.13362915010152399
  // reward = exp(-0.13362915 / 0.08) = 0.18817848537057966
  const r = env.step(act(0.25, -0.75));
  assertClose(r.reward, 0.18817848537057966, 1e-6);
  assert.equal(r.info?.mode, -1);
  // Custom radius 0.5, width 0.1 at (0.3, 0.4): m = 0.35355339;
  // d = (0.3 - 0.35355)^2 + (0.4 - 0.35355)^2 = 0.005025253169416736
  // reward = exp(-0.005025253 / 0.02) = 0.7778180442278937
  const custom = new DoubleWell({ radius: 0.5, width: 0.1 });
  assertClose(custom.step(act(0.3, 0.4)).reward, 0.7778180442278937, 1e-6);
  const [m] = doubleWellModes(0.5);
  assertClose(custom.step(act(m[0], m[1])).reward, 1, 1e-6);
});

Deno.test("DoubleWell: reward is symmetric under a[1] -> -a[1]", () => {
  const env = new DoubleWell();
  for (let i = -10; i <= 10; i++) {
    for (let j = -10; j <= 10; j++) {
      const x = i / 10;
      const y = j / 10;
      const a = env.step(act(x, y));
      const b = env.step(act(x, -y));
      assert.equal(a.reward, b.reward, `(${x}, ${y})`);
      assert.ok(a.reward > 0 && a.reward <= 1);
      if (y !== 0) assert.equal(a.info?.mode, -(b.info?.mode ?? 0));
      assert.equal(a.info?.mode, y >= 0 ? 1 : -1);
    }
  }
});

Deno.test("DoubleWell: the two modes are the only optima on a grid", () => {
  const env = new DoubleWell();
  let best = 0;
  for (let i = 0; i <= 200; i++) {
    const x = -1 + i / 100;
    // The valley along a[1] = 0 never gets above exp(-(0.8 sin45)^2 / (2 w^2)) = exp(-4).
    best = Math.max(best, env.step(act(x, 0)).reward);
  }
  assertClose(best, Math.exp(-4), 1e-4, "best reward on the valley line");
});

Deno.test("DoubleWell: determinism and state()/load() round trip", () => {
  const a = new DoubleWell();
  const b = new DoubleWell();
  assert.deepEqual(a.reset(3), b.reset(3));
  assert.deepEqual(a.step(act(0.1, 0.2)), b.step(act(0.1, 0.2)));
  a.reset(8);
  a.step(act(0.5, -0.5));
  const saved = JSON.parse(JSON.stringify(a.state())) as DoubleWellState;
  const c = new DoubleWell();
  c.load(saved);
  assert.deepEqual(c.state(), a.state());
  assert.equal(c.state().steps, 1);
  for (let t = 0; t < 20; t++) {
    const action = act(Math.sin(t), Math.cos(t));
    assert.deepEqual(c.step(action), a.step(action));
    assert.deepEqual(c.reset(), a.reset());
  }
  assert.deepEqual(c.state(), a.state());
  assert.throws(() => c.load({ steps: 0 }), /DoubleWell-v0\.load/);
});

Deno.test("DoubleWell: factory validates params", () => {
  const env = createDoubleWell({ radius: 0.6, width: 0.3 }) as DoubleWell;
  assert.equal(env.radius, 0.6);
  assert.equal(env.width, 0.3);
  assert.equal(createDoubleWell({}).id, "DoubleWell-v0");
  assert.throws(() => createDoubleWell({ foo: 1 }), {
    message: "envParams: unknown key 'foo'; allowed: radius, width",
  });
  assert.throws(() => createDoubleWell({ radius: 0 }), /envParams\.radius/);
  assert.throws(() => createDoubleWell({ radius: -1 }), /envParams\.radius/);
  assert.throws(() => createDoubleWell({ width: Infinity }), /envParams\.width/);
  assert.throws(() => createDoubleWell({ width: "0.2" }), /envParams\.width/);
  assert.throws(() => new DoubleWell({ width: Number.NaN }), /envParams\.width/);
  assert.throws(() => env.step(new Float32Array(1)), /expected an action of length 2/);
});
