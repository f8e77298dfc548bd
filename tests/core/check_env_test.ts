/** checkEnv passes the built-in envs and names what a broken env gets wrong. */
import assert from "node:assert/strict";
import { box, builtinRegistry, checkEnv, type Env, Rng, type StepResult } from "../../mod.ts";

/** A small correct env: a random walk; `flaws` break one part of the contract each. */
class Walk implements Env {
  readonly id = "Walk-v0";
  readonly observationSpace = box(-Infinity, Infinity, 2);
  readonly actionSpace = box(-1, 1, 1);
  readonly maxEpisodeSteps = 7;
  private x = 0;
  private t = 0;
  private rng = new Rng(0);
  constructor(private readonly flaw = "") {}
  reset(seed?: number): Float32Array {
    if (seed !== undefined && this.flaw !== "ignores seed") this.rng = new Rng(seed);
    this.x = this.rng.uniformRange(-1, 1);
    this.t = 0;
    return new Float32Array(this.flaw === "short obs" ? [this.x] : [this.x, 0]);
  }
  step(action: Float32Array): StepResult {
    this.x += action[0] + 0.1 * this.rng.normal();
    this.t++;
    return {
      obs: new Float32Array([this.x, this.t]),
      reward: this.flaw === "nan reward" ? NaN : -Math.abs(this.x),
      terminated: false,
      truncated: (this.flaw === "number flags" ? 0 : this.t >= this.maxEpisodeSteps) as boolean,
    };
  }
  state(): unknown {
    return { x: this.x, t: this.t, rng: this.flaw === "forgets rng" ? null : this.rng.state() };
  }
  load(state: unknown): void {
    const s = state as { x: number; t: number; rng: ReturnType<Rng["state"]> | null };
    this.x = s.x;
    this.t = s.t;
    if (s.rng) this.rng.load(s.rng);
  }
}

Deno.test("checkEnv: a correct env passes (episode ends included)", () => {
  assert.deepEqual(checkEnv(new Walk()), { ok: true, problems: [] });
});

Deno.test("checkEnv: each broken part is named", () => {
  const cases: [string, RegExp][] = [
    ["short obs", /reset\(seed\): observation has 1 numbers, observationSpace 2/],
    ["nan reward", /reward must be a finite number, got NaN/],
    ["number flags", /truncated must be a boolean, got number/],
    ["forgets rng", /state\(\)\/load\(\): stepping on from a loaded state differs/],
    ["ignores seed", /reset\(seed\): two resets with the same seed observe differently/],
  ];
  for (const [flaw, expected] of cases) {
    const result = checkEnv(new Walk(flaw));
    assert.equal(result.ok, false, flaw);
    assert.ok(result.problems.some((p) => expected.test(p)), `${flaw}: ${result.problems}`);
  }
});

Deno.test("checkEnv: the built-in classic-control and MuJoCo envs pass", async () => {
  const registry = builtinRegistry();
  for (const id of ["Pendulum-v1", "MountainCarContinuous-v0", "DoubleWell-v0", "Hopper-v4"]) {
    await registry.prepareEnv(id);
    const env = registry.env(id).create({});
    const result = checkEnv(env, { steps: 30, seed: 3 });
    env.close?.();
    assert.deepEqual(result.problems, [], id);
  }
});
