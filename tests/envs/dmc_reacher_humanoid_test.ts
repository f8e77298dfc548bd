/**
 * Reacher and humanoid (dm_control `reacher.*`, `humanoid.*`): rewards on states worked out by
 * hand, where each observation piece comes from, and the initial states dm_control draws.
 */
import assert from "node:assert/strict";
import { builtinRegistry } from "../../plugins/builtin.ts";
import type { DmcEnv, DmcEnvState } from "../../envs/dmc/dmc_env.ts";
import type { Humanoid } from "../../envs/dmc/humanoid.ts";

const registry = builtinRegistry();
await registry.prepareEnv("dmc/reacher-easy");

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

/** Loads `qpos`, `qvel`, optionally `ctrl` and the task state into `env`. */
function put(
  env: DmcEnv,
  s: { qpos: number[]; qvel: number[]; ctrl?: number[]; task?: number[] },
): void {
  const now = env.state() as DmcEnvState;
  env.load({ ...now, ...s, ctrl: s.ctrl ?? now.ctrl.map(() => 0), task: s.task ?? now.task });
}

Deno.test("reacher: 1 inside the target's plus the finger's radius; obs = qpos, to_target, qvel", () => {
  for (const [id, radii] of [["dmc/reacher-easy", 0.06], ["dmc/reacher-hard", 0.025]] as const) {
    withEnv(id, (env) => {
      // arm straight along x: the finger's centre is at (0.24, 0)
      const at = (x: number, y: number) => {
        put(env, { qpos: [0, 0], qvel: [0, 0], task: [x, y] });
        return env.reward();
      };
      assert.equal(at(0.24, 0), 1, `${id} on the target`);
      assert.equal(at(0.24, radii - 1e-4), 1, `${id} just inside`);
      assert.equal(at(0.24, radii + 1e-4), 0, `${id} just outside`);
      // shoulder at 90 degrees, wrist at -90: finger at (-0.12, 0.12)
      put(env, { qpos: [Math.PI / 2, -Math.PI / 2], qvel: [0.3, -0.2], task: [0.1, 0.05] });
      const obs = env.step(new Float32Array(2)).obs;
      const { qpos, qvel } = env.positions();
      assert.deepEqual([obs[0], obs[1], obs[4], obs[5]], f32([...qpos, ...qvel]));
      const [s, w] = qpos;
      const finger = [
        0.12 * Math.cos(s) + 0.12 * Math.cos(s + w),
        0.12 * Math.sin(s) + 0.12 * Math.sin(s + w),
      ];
      near(obs[2], 0.1 - finger[0], "to_target x", 1e-6);
      near(obs[3], 0.05 - finger[1], "to_target y", 1e-6);
    });
  }
});

Deno.test("reacher: targets 0.05-0.2 from the centre, the wrist within +-160 degrees", () => {
  withEnv("dmc/reacher-easy", (env) => {
    const shoulders: number[] = [];
    for (let seed = 0; seed < 40; seed++) {
      env.reset(seed);
      const [x, y] = (env.state() as DmcEnvState).task;
      const r = Math.hypot(x, y);
      assert.ok(r >= 0.05 && r <= 0.2, `target radius ${r}`);
      const { qpos, qvel } = env.positions();
      assert.ok(Math.abs(qpos[1]) <= (160 * Math.PI) / 180, `wrist ${qpos[1]}`);
      assert.deepEqual(Array.from(qvel), [0, 0]);
      shoulders.push(qpos[0]);
    }
    assert.ok(Math.min(...shoulders) < -2 && Math.max(...shoulders) > 2, "shoulder in [-pi, pi]");
  });
});

/** The humanoid's model pose: root at 1.5 m, upright, every hinge at 0 (head at 1.69 m). */
const POSE = [0, 0, 1.5, 1, 0, 0, 0, ...new Array(21).fill(0)];
const STILL = new Array(27).fill(0);
/** `POSE` with the root's orientation and height replaced. */
const pose = (z: number, quat: number[]) => [0, 0, z, ...quat, ...POSE.slice(7)];
/** `STILL` with the root moving at (vx, vy). */
const moving = (vx: number, vy: number) => [vx, vy, ...STILL.slice(2)];

Deno.test("humanoid: standing tall, upright and still scores 1; each factor by hand", () => {
  withEnv("dmc/humanoid-stand", (env) => {
    put(env, { qpos: POSE, qvel: STILL });
    near(env.reward(), 1, "standing");
    // head half a margin (0.175) below 1.4 m
    put(env, { qpos: pose(1.4 - 0.175 - 0.19, [1, 0, 0, 0]), qvel: STILL });
    near(env.reward(), gauss(0.5), "crouched");
    // lying on the back at head height 1.4: zz = 0 is 0.9 short of 0.9 over a margin of 1.9
    const c = Math.SQRT1_2;
    put(env, { qpos: pose(1.4, [c, 0, c, 0]), qvel: STILL });
    near(env.reward(), 1 - 0.9 / 1.9, "horizontal torso");
    put(env, { qpos: POSE, qvel: moving(2, 0) });
    near(env.reward(), (0.1 + 1) / 2, "drifting at 2 m/s");
    put(env, { qpos: POSE, qvel: STILL, ctrl: new Array(21).fill(1) });
    near(env.reward(), 4 / 5, "full control");
    const ctrl = new Array(21).fill(0);
    ctrl[3] = 0.5;
    put(env, { qpos: POSE, qvel: STILL, ctrl });
    near(env.reward(), (4 + (20 + 0.75) / 21) / 5, "one motor at half");
  });
  withEnv("dmc/humanoid-walk", (env) => {
    put(env, { qpos: POSE, qvel: moving(0.6, 0.8) });
    near(env.reward(), 1, "1 m/s diagonally");
    put(env, { qpos: POSE, qvel: moving(0.5, 0) });
    near(env.reward(), (5 * 0.5 + 1) / 6, "half speed");
    put(env, { qpos: POSE, qvel: STILL });
    near(env.reward(), 1 / 6, "standing still");
  });
  withEnv("dmc/humanoid-run", (env) => {
    put(env, { qpos: POSE, qvel: moving(7.5, 0) });
    near(env.reward(), (5 * 0.75 + 1) / 6, "7.5 m/s of 10");
  });
});

Deno.test("humanoid: obs = joint angles, head height, egocentric extremities, torso z, com velocity, qvel", () => {
  withEnv("dmc/humanoid-walk", (env) => {
    // turned 90 degrees about z: the hands stay where they are in the torso's frame
    const c = Math.SQRT1_2;
    put(env, { qpos: pose(1.5, [c, 0, 0, c]), qvel: moving(0, 1) });
    const obs = env.step(new Float32Array(21)).obs;
    const { qpos, qvel } = env.positions();
    const humanoid = env as Humanoid;
    assert.deepEqual(Array.from(obs.slice(0, 21)), f32(qpos.slice(7)));
    assert.equal(obs[21], Math.fround(humanoid.headHeight()));
    assert.equal(obs[36], Math.fround(humanoid.torsoUpright()));
    assert.deepEqual(Array.from(obs.slice(37, 40)), f32(humanoid.centerOfMassVelocity()));
    assert.deepEqual(Array.from(obs.slice(40)), f32(qvel));
    near(obs[38], 1, "com moving along y", 0.05);
    // one step from the model's pose barely moves the arms: in the torso's frame the left
    // hand is at (0.36, 0.17, 0.06) and the right at (0.36, -0.17, 0.06), however it is turned
    const hands = [[22, 0.36, 0.17, 0.06], [28, 0.36, -0.17, 0.06]];
    for (const [at, x, y, z] of hands) {
      near(obs[at], x, `hand x at ${at}`, 0.02);
      near(obs[at + 1], y, `hand y at ${at}`, 0.02);
      near(obs[at + 2], z, `hand z at ${at}`, 0.02);
    }
    // the feet are below the torso, about 1.3 m down
    for (const at of [25, 31]) near(obs[at + 2], -1.3, `foot z at ${at}`, 0.1);
  });
});

Deno.test("humanoid: initial poses are contact-free, root at 1.5 m, joints in range", () => {
  withEnv("dmc/humanoid-walk", (env) => {
    const { model, data } = env.physics();
    const range = model.jnt_range as Float64Array;
    for (let seed = 0; seed < 10; seed++) {
      env.reset(seed);
      assert.equal(data.ncon, 0, `seed ${seed}: contacts at reset`);
      const { qpos, qvel } = env.positions();
      assert.deepEqual(Array.from(qpos.slice(0, 3)), [0, 0, 1.5]);
      const q = Array.from(qpos.slice(3, 7));
      near(Math.hypot(...q), 1, "unit quaternion", 1e-12);
      assert.ok(q.every((v) => v >= 0), "quaternion from U(0, 1)^4");
      for (let j = 1; j < model.njnt; j++) {
        const v = qpos[7 + j - 1];
        assert.ok(v >= range[2 * j] && v <= range[2 * j + 1], `joint ${j}: ${v}`);
      }
      assert.ok(qvel.every((v) => v === 0));
    }
  });
});
