/**
 * Each DMC task's reward on states worked out by hand, and where its observation's pieces
 * come from (checked after a step against qpos/qvel).
 */
import assert from "node:assert/strict";
import { builtinRegistry } from "../../plugins/builtin.ts";
import type { DmcEnv, DmcEnvState } from "../../envs/dmc/dmc_env.ts";

const registry = builtinRegistry();
await registry.prepareEnv("dmc/cheetah-run");

/** Runs `body` with a fresh env of `id`, closing it afterwards. */
function withEnv(id: string, body: (env: DmcEnv) => void): void {
  const env = registry.env(id).create({}) as DmcEnv;
  try {
    body(env);
  } finally {
    env.close();
  }
}

const near = (a: number, b: number, what: string, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} != ${b}`);
const f32 = (xs: ArrayLike<number>) => Array.from(xs, Math.fround);
/** `0.1^(d^2)`: the gaussian tolerance at `d` margins out (value at margin 0.1). */
const gauss = (d: number) => 0.1 ** (d * d);

Deno.test("pendulum-swingup: 1 within 8 degrees of upright; obs = cos, sin, velocity", () => {
  withEnv("dmc/pendulum-swingup", (env) => {
    env.setState([0], [0]);
    assert.equal(env.reward(), 1);
    env.setState([(7.9 * Math.PI) / 180], [0]);
    assert.equal(env.reward(), 1);
    env.setState([(8.1 * Math.PI) / 180], [0]);
    assert.equal(env.reward(), 0);
    env.setState([Math.PI], [0]);
    assert.equal(env.reward(), 0);
    env.reset(2);
    const obs = env.step(new Float32Array([0.5])).obs;
    const { qpos, qvel } = env.positions();
    assert.deepEqual(Array.from(obs), f32([Math.cos(qpos[0]), Math.sin(qpos[0]), qvel[0]]));
  });
});

Deno.test("cartpole: smooth and sparse rewards; obs = x, cos, sin, velocities", () => {
  withEnv("dmc/cartpole-swingup", (env) => {
    env.setState([0, 0], [0, 0]);
    near(env.reward(), 1, "upright, centred, still");
    env.setState([2, 0], [0, 0]);
    near(env.reward(), (1 + 0.1) / 2, "cart at the margin"); // centred = (1 + 0.1) / 2
    env.setState([0, Math.PI / 2], [0, 5]);
    near(env.reward(), 0.5 * (1 + 0.1) / 2, "pole flat, turning at the margin");
    env.setState([0, Math.PI], [0, 0]);
    near(env.reward(), 0, "pole down");
    // a full control costs a fifth: small_control = (4 + 0) / 5
    env.reset(1);
    env.step(new Float32Array([1]));
    const { qpos, qvel } = env.positions();
    env.setState([0, 0], [0, 0]);
    near(env.reward(), 0.8, "full control");
    env.setState(qpos, qvel);
    const obs = env.step(new Float32Array([0])).obs;
    const p = env.positions();
    assert.deepEqual(
      Array.from(obs),
      f32([p.qpos[0], Math.cos(p.qpos[1]), Math.sin(p.qpos[1]), p.qvel[0], p.qvel[1]]),
    );
  });
  withEnv("dmc/cartpole-swingup-sparse", (env) => {
    env.setState([0.25, 0], [3, 3]);
    assert.equal(env.reward(), 1);
    env.setState([0.26, 0], [0, 0]);
    assert.equal(env.reward(), 0);
    env.setState([0, Math.acos(0.994)], [0, 0]);
    assert.equal(env.reward(), 0);
  });
});

Deno.test("cheetah-run: reward = speed / 10 clipped; obs = qpos[1:], qvel", () => {
  withEnv("dmc/cheetah-run", (env) => {
    const qpos = new Array(9).fill(0);
    const at = (speed: number) => {
      env.setState(qpos, [speed, 0, 0, 0, 0, 0, 0, 0, 0]);
      return env.reward();
    };
    near(at(10), 1, "target speed");
    near(at(12), 1, "faster");
    near(at(5), 0.5, "half speed");
    near(at(0), 0, "standing");
    near(at(-3), 0, "backwards");
    env.reset(3);
    const obs = env.step(new Float32Array(6).fill(0.3)).obs;
    const p = env.positions();
    assert.deepEqual(Array.from(obs), f32([...p.qpos.slice(1), ...p.qvel]));
  });
});

Deno.test("walker: standing at 1.3 m scores 1; walk and run shaping; obs layout", () => {
  const zero = new Array(9).fill(0);
  withEnv("dmc/walker-stand", (env) => {
    env.setState(zero, zero); // torso at 1.3 m, upright
    near(env.reward(), 1, "standing");
    env.setState([-0.4, 0, 0, 0, 0, 0, 0, 0, 0], zero); // torso at 0.9: half a margin below
    near(env.reward(), (3 * gauss(0.5) + 1) / 4, "crouched");
    env.setState([0, 0, Math.PI / 2, 0, 0, 0, 0, 0, 0], zero); // lying flat: upright 1/2
    near(env.reward(), (3 * 1 + 0.5) / 4, "tilted");
    env.reset(6);
    const obs = env.step(new Float32Array(6).fill(-0.2)).obs;
    const p = env.positions();
    near(obs[0], Math.fround(Math.cos(p.qpos[2])), "torso xx", 1e-6);
    near(obs[1], Math.fround(Math.sin(p.qpos[2])), "torso xz", 1e-6);
    assert.equal(obs[14], Math.fround(1.3 + p.qpos[0]), "height");
    assert.deepEqual(Array.from(obs.slice(15)), f32(p.qvel));
  });
  withEnv("dmc/walker-walk", (env) => {
    env.setState(zero, [0, 1, 0, 0, 0, 0, 0, 0, 0]);
    near(env.reward(), 1, "walking at 1 m/s");
    env.setState(zero, [0, 0.5, 0, 0, 0, 0, 0, 0, 0]);
    near(env.reward(), (5 * 0.5 + 1) / 6, "half speed");
    env.setState(zero, zero);
    near(env.reward(), 1 / 6, "standing still");
  });
  withEnv("dmc/walker-run", (env) => {
    env.setState(zero, [0, 6, 0, 0, 0, 0, 0, 0, 0]); // 2 m/s short of 8, margin 4: 0.75
    near(env.reward(), (5 * 0.75 + 1) / 6, "6 m/s");
  });
});

Deno.test("hopper: standing height, control cost and hop speed; obs layout", () => {
  const zero = new Array(7).fill(0);
  withEnv("dmc/hopper-stand", (env) => {
    env.setState(zero, zero); // torso com 1.075, foot com 0.1: height 0.975 in (0.6, 2)
    near(env.reward(), 1, "upright, no control");
    env.setState([0, 0, Math.PI, 0, 0, 0, 0], zero); // upside down: torso below the foot
    assert.equal(env.reward(), 0);
    env.reset(2);
    const obs = env.step(new Float32Array([1, 1, 1, 1])).obs;
    const p = env.positions();
    assert.deepEqual(Array.from(obs.slice(0, 13)), f32([...p.qpos.slice(1), ...p.qvel]));
    assert.ok(obs[13] >= 0 && obs[14] >= 0, "touch = log1p(force) >= 0");
    env.setState(zero, zero);
    near(env.reward(), 4 / 5, "full control on all four motors");
  });
  withEnv("dmc/hopper-hop", (env) => {
    env.setState(zero, [2, 0, 0, 0, 0, 0, 0]);
    near(env.reward(), 1, "2 m/s");
    env.setState(zero, [1, 0, 0, 0, 0, 0, 0]);
    near(env.reward(), 0.5, "1 m/s");
  });
});

Deno.test("acrobot: distance of the tip to the target; obs = sines then cosines", () => {
  withEnv("dmc/acrobot-swingup", (env) => {
    env.setState([0, 0], [0, 0]);
    near(env.reward(), 1, "tip on the target");
    // elbow bent by e: the tip is 2 sin(e/2) from the target; 0.7 is half a margin out
    const e = 2 * Math.asin(0.35);
    env.setState([0, e], [0, 0]);
    near(env.reward(), gauss(0.5), "0.7 from the target");
    env.reset(8);
    const obs = env.step(new Float32Array([0.7])).obs;
    const { qpos: [s, el], qvel } = env.positions();
    const expected = [Math.sin(s), Math.sin(s + el), Math.cos(s), Math.cos(s + el), ...qvel];
    for (let i = 0; i < 6; i++) near(obs[i], Math.fround(expected[i]), `obs ${i}`, 1e-6);
  });
  withEnv("dmc/acrobot-swingup-sparse", (env) => {
    env.setState([0, 2 * Math.asin(0.099)], [0, 0]);
    assert.equal(env.reward(), 1);
    env.setState([0, 2 * Math.asin(0.101)], [0, 0]);
    assert.equal(env.reward(), 0);
  });
});

Deno.test("finger-spin: 1 when the hinge turns at -15 rad/s or faster; obs from sensors", () => {
  withEnv("dmc/finger-spin", (env) => {
    env.reset(1);
    const { qpos } = env.positions();
    env.setState(qpos, [0, 0, -15]);
    assert.equal(env.reward(), 1);
    env.setState(qpos, [0, 0, -14.9]);
    assert.equal(env.reward(), 0);
    env.setState(qpos, [0, 0, 20]);
    assert.equal(env.reward(), 0);
    const obs = env.step(new Float32Array([0.5, -0.5])).obs;
    const p = env.positions();
    assert.deepEqual([obs[0], obs[1]], f32(p.qpos.slice(0, 2)));
    assert.deepEqual(Array.from(obs.slice(4, 7)), f32(p.qvel));
    // the tip site is 0.13 from the spinner's centre
    near(Math.hypot(obs[2], obs[3]), 0.13, "tip radius", 1e-6);
  });
});

Deno.test("fish-swim: mouth in the target and upright scores 1; the target moves per episode", () => {
  withEnv("dmc/fish-swim", (env) => {
    const first = env.state() as DmcEnvState;
    env.reset(4);
    assert.notDeepEqual((env.state() as DmcEnvState).task, first.task);
    const upright = [0, 0, 0.1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const still = new Array(13).fill(0);
    const at = (target: number[]) => {
      env.load({ ...(env.state() as DmcEnvState), qpos: upright, qvel: still, task: target });
      return env.reward();
    };
    // the mouth's centre is 0.0745 ahead of the torso (at 0.1 height); radii 0.005 + 0.04
    near(at([0, 0.0745, 0.1]), 1, "mouth at the target");
    near(at([0, 0.0745, 0.19]), (7 * gauss(0.5) + 1) / 8, "0.09 above the mouth");
    const obs = env.step(new Float32Array(5)).obs;
    const p = env.positions();
    assert.deepEqual(Array.from(obs.slice(0, 7)), f32(p.qpos.slice(7)));
    assert.deepEqual(Array.from(obs.slice(11)), f32(p.qvel));
  });
});
