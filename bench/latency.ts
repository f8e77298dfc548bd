/**
 * Inference latency of an exported policy: onnxruntime (CPU) against the training-time
 * TensorFlow.js forward pass, in one process, on the same policy. Used by
 * `deno task bench onnx-latency`.
 */
import * as ort from "onnxruntime-node";
import { box, defaultsOf, Rng } from "../core/mod.ts";
import { exportPolicyOnnx, tf, useBackend } from "../core/tensor/mod.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "../plugins/diffusion_policy/mod.ts";

/** One measured configuration. */
export interface LatencyRow {
  runtime: string;
  batch: number;
  /** Mean milliseconds per call. */
  msPerCall: number;
  /** Actions per second. */
  actionsPerSecond: number;
}

function timeIt(calls: number, fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - t0) / calls;
}

async function timeItAsync(calls: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await fn();
  return (performance.now() - t0) / calls;
}

/**
 * Measures a K-step diffusion policy at Humanoid-v4 sizes (obs 376, act 17, the default
 * 4 x 256 SiLU score network): batch 1 latency and batch 1024 throughput, stochastic.
 */
export async function measureLatency(options: { steps: number; threads: number }): Promise<{
  rows: LatencyRow[];
  description: string;
}> {
  await useBackend("wasm");
  const obsDim = 376;
  const actDim = 17;
  const spec = {
    observationSpace: box(-Infinity, Infinity, obsDim),
    actionSpace: box(-0.4, 0.4, actDim),
  };
  const policy = new DiffusionPolicy(
    spec,
    { ...defaultsOf(DIFFUSION_SCHEMA), diffusionSteps: options.steps },
    new Rng(0),
  );
  const session = await ort.InferenceSession.create(
    exportPolicyOnnx(policy, { deterministic: false }),
    { intraOpNumThreads: options.threads, interOpNumThreads: 1, executionProviders: ["cpu"] },
  );
  const rng = new Rng(1);
  const rows: LatencyRow[] = [];
  for (const batch of [1, 1024]) {
    const obs = rng.fillNormal(new Float32Array(batch * obsDim));
    const noise = rng.fillNormal(new Float32Array(batch * (options.steps + 1) * actDim));
    const calls = batch === 1 ? 200 : 5;
    // warm up both, then time
    for (let i = 0; i < 3; i++) policy.actFromNoise(obs, noise);
    const tfMs = timeIt(calls, () => policy.actFromNoise(obs, noise));
    const feeds = {
      obs: new ort.Tensor("float32", obs, [batch, obsDim]),
      noise: new ort.Tensor("float32", noise, [batch, options.steps + 1, actDim]),
    };
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const ortMs = await timeItAsync(calls, () => session.run(feeds));
    rows.push({
      runtime: "TensorFlow.js wasm",
      batch,
      msPerCall: tfMs,
      actionsPerSecond: (batch * 1000) / tfMs,
    });
    rows.push({
      runtime: `onnxruntime CPU (${options.threads} thread)`,
      batch,
      msPerCall: ortMs,
      actionsPerSecond: (batch * 1000) / ortMs,
    });
  }
  await session.release();
  policy.dispose();
  tf.disposeVariables();
  return {
    rows,
    description: `diffusion policy K=${options.steps}, obs 376, act 17, score net 4x256 SiLU`,
  };
}
