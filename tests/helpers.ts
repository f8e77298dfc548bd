/** Assertions shared by the test files. */
import assert from "node:assert/strict";
import { ConfigError } from "../core/schema.ts";
import { tf } from "../core/tensor/tf.ts";
import { resolveConfig } from "../core/config.ts";
import { train } from "../core/trainer.ts";
import { builtinRegistry } from "../plugins/builtin.ts";
import { decodeSnapshot, encodeSnapshot } from "../core/serialize.ts";
import type { VecEnv, VecEnvState } from "../core/env.ts";
import type { NamedArrays } from "../core/serialize.ts";
import type { Policy } from "../core/policy.ts";
import type { Algorithm, AlgorithmContext } from "../core/plugin.ts";
import type { Rng } from "../core/rng.ts";

/** Asserts a ConfigError whose message contains every fragment. */
export function throwsConfig(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    for (const f of fragments) {
      assert.ok(e.message.includes(f), `message "${e.message}" lacks "${f}"`);
    }
    return true;
  });
}

/**
 * Checks TensorFlow.js's gradient of a scalar `loss` against central finite differences at
 * chosen coordinates `[variable index, element index]` (float32: eps 1e-2, relative tol 2e-2).
 */
export function assertGradientMatchesFiniteDifferences(
  loss: () => tf.Scalar,
  vars: tf.Variable[],
  coordinates: [number, number][],
  { eps = 1e-2, tolerance = 2e-2 } = {},
): void {
  const { grads } = tf.variableGrads(loss, vars);
  for (const [vi, i] of coordinates) {
    const v = vars[vi];
    const base = v.dataSync().slice();
    const at = (delta: number) => {
      const w = base.slice();
      w[i] += delta;
      v.assign(tf.tensor(w, v.shape));
      return tf.tidy(() => loss().dataSync()[0]);
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    v.assign(tf.tensor(base, v.shape));
    const analytic = grads[v.name].dataSync()[i];
    assert.ok(
      Math.abs(numeric - analytic) < tolerance * Math.max(1, Math.abs(analytic)),
      `variable ${vi}[${i}]: finite differences ${numeric} vs gradient ${analytic}`,
    );
  }
  tf.dispose(Object.values(grads));
}

/** What {@link assertResumeReproducesRun} observed. */
export interface ResumeCheck {
  /** Metrics rows of the uninterrupted run, without wall-clock. */
  rows: Record<string, number>[];
  /** Env steps at which the aborted run stopped. */
  cutSteps: number;
  /** The resolved config the aborted run saved. */
  config: Record<string, unknown>;
}

/**
 * Trains `raw` (a run config of the built-in registry) once uninterrupted and once aborted at
 * the first metrics row at or past `abortAtStep` and then resumed from its checkpoint, and
 * asserts that both log the same rows (all but wall-clock).
 */
export async function assertResumeReproducesRun(
  raw: Record<string, unknown>,
  abortAtStep: number,
): Promise<ResumeCheck> {
  const registry = builtinRegistry();
  const dir = Deno.makeTempDirSync();
  try {
    const full = await train(resolveConfig({ ...raw, out: dir, name: "full" }, registry), {
      registry,
    });
    assert.equal(full.status, "finished");
    const controller = new AbortController();
    const cut = await train(resolveConfig({ ...raw, out: dir, name: "cut" }, registry), {
      registry,
      signal: controller.signal,
      onRow: (row) => {
        if (row.step >= abortAtStep) controller.abort();
      },
    });
    assert.equal(cut.status, "interrupted");
    assert.ok(cut.envSteps < full.envSteps, "the abort landed before the end");
    const config = JSON.parse(Deno.readTextFileSync(`${dir}/cut/config.json`));
    const resumed = await train(resolveConfig(config, registry), {
      registry,
      resumeDir: `${dir}/cut`,
    });
    assert.equal(resumed.status, "finished");
    const rows = (name: string) =>
      Deno.readTextFileSync(`${dir}/${name}/metrics.jsonl`).trim().split("\n").map((l) => {
        const { time_s: _t, ...rest } = JSON.parse(l);
        return rest as Record<string, number>;
      });
    assert.deepEqual(rows("cut"), rows("full"));
    return { rows: rows("full"), cutSteps: cut.envSteps, config };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The objects a snapshot test restores: an algorithm, its policy and its VecEnv. */
export interface Trainable {
  env: VecEnv;
  policy: Policy;
  algo: Algorithm;
}

/**
 * Runs `a = make(firstSeed)` for `warmup` iterations, saves algorithm, policy and env through
 * encodeSnapshot/decodeSnapshot, loads them into `b = make(otherSeed)` (everything must come
 * from the snapshot), and asserts that both then iterate identically for `steps` iterations
 * and end with equal policy weights.
 */
export function assertSnapshotContinues(
  make: (seed: number) => Trainable,
  options: { seeds: [number, number]; warmup: number; steps: number; label?: string },
): void {
  const a = make(options.seeds[0]);
  for (let i = 0; i < options.warmup; i++) a.algo.iterate();
  const saved = decodeSnapshot(encodeSnapshot({
    algo: a.algo.state(),
    policy: a.policy.weights(),
    env: a.env.state(),
  })) as { algo: unknown; policy: NamedArrays; env: VecEnvState };
  const b = make(options.seeds[1]);
  b.policy.loadWeights(saved.policy);
  b.algo.load(saved.algo);
  b.env.load(saved.env);
  for (let i = 0; i < options.steps; i++) {
    assert.deepEqual(b.algo.iterate(), a.algo.iterate(), `${options.label ?? ""} step ${i}`);
  }
  const wa = a.policy.weights();
  const wb = b.policy.weights();
  for (const key of Object.keys(wa)) assert.deepEqual(wb[key].data, wa[key].data, key);
  for (const x of [a, b]) {
    x.algo.dispose();
    x.policy.dispose();
  }
}

/** The bit patterns of float32 values (a tensor's, or an array's as float32), for exact comparison. */
export function float32Bits(x: tf.Tensor | Float32Array | number[]): Uint32Array {
  const values = x instanceof tf.Tensor ? (x.dataSync() as Float32Array) : Float32Array.from(x);
  return new Uint32Array(values.slice().buffer);
}

/**
 * An algorithm context for tests that build an algorithm by hand: `makePolicy` refuses (the
 * algorithms under test build no second policy) unless given.
 */
export function contextOf<Params, P extends Policy>(
  context: Omit<AlgorithmContext<Params, P>, "makePolicy"> & { makePolicy?: (rng: Rng) => P },
): AlgorithmContext<Params, P> {
  return {
    ...context,
    makePolicy: context.makePolicy ??
      (() => {
        throw new Error("makePolicy: not available in this test");
      }),
  };
}
