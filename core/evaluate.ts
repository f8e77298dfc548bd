import { type Env, VecEnv } from "./env.ts";
import type { Policy } from "./policy.ts";
import { Rng } from "./rng.ts";

/** Options of {@link evaluatePolicy}. */
export interface EvaluateOptions {
  episodes: number;
  /** Seed of the evaluation envs (fixed per run, so every evaluation sees the same starts). */
  seed: number;
  /** Mean action (true, the default) or sampled actions. */
  deterministic?: boolean;
  /** Actor to use instead of `policy.act` (e.g. an exported model). */
  act?: (obs: Float32Array) => Float32Array | Promise<Float32Array>;
}

/** Returns of evaluation episodes and their summary. */
export interface EvaluationResult {
  returns: number[];
  lengths: number[];
  mean: number;
  std: number;
  meanLength: number;
}

/** Mean and population standard deviation. */
export function meanStd(values: number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Runs `episodes` episodes in parallel env copies (each copy plays exactly one) and reports
 * their returns. Deterministic by default: the policy's mean action. With `options.act` the
 * policy may be null (an exported model plays instead).
 */
export async function evaluatePolicy(
  policy: Policy | null,
  makeEnv: () => Env,
  options: EvaluateOptions,
): Promise<EvaluationResult> {
  if (!policy && !options.act) throw new Error("evaluatePolicy: give a policy or an act function");
  const n = options.episodes;
  const vec = new VecEnv(makeEnv, n, options.seed);
  const rng = new Rng(options.seed).fork("eval-noise");
  const returns = new Array<number>(n).fill(NaN);
  const lengths = new Array<number>(n).fill(0);
  let remaining = n;
  try {
    while (remaining > 0) {
      const obs = vec.obs.slice();
      const actions = options.act
        ? await options.act(obs)
        : policy!.act(obs, { deterministic: options.deterministic ?? true, rng });
      const step = vec.step(actions);
      for (const ep of step.episodes) {
        if (Number.isNaN(returns[ep.envIndex])) {
          returns[ep.envIndex] = ep.return;
          lengths[ep.envIndex] = ep.length;
          remaining--;
        }
      }
    }
  } finally {
    vec.close();
  }
  const { mean, std } = meanStd(returns);
  return { returns, lengths, mean, std, meanLength: meanStd(lengths).mean };
}

/** Seed of the evaluation envs: fixed per run so every evaluation sees the same starts. */
export function evalSeed(seed: number): number {
  return (seed + 1_000_003) >>> 0;
}
