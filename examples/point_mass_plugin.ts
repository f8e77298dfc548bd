/**
 * An example plugin that adds one of each extension point, without touching the framework:
 *
 * - env `PointMass-v0`: push a unit mass on a line to the origin and hold it there;
 * - policy `linear`: `action = clip(W obs + b)` plus Gaussian exploration noise;
 * - algorithm `random-search`: Basic Random Search (Mania et al. 2018) over that linear policy.
 *
 * Train with it:
 *   deno task train --plugin examples/point_mass_plugin.ts --algo random-search --env PointMass-v0
 */
import {
  type ActOptions,
  type Algorithm,
  type AlgorithmContext,
  type Box,
  box,
  defineAlgorithm,
  defineEnv,
  definePlugin,
  definePolicy,
  type Env,
  type EpisodeStat,
  type IterationResult,
  type NamedArrays,
  ObsNormalizer,
  type Policy,
  type PolicySpec,
  Rng,
  type RngState,
  type StepResult,
  type ValuesOf,
} from "../mod.ts";

/** PointMass-v0's parameters: `envParams` is checked against them (a typo is refused). */
const POINT_MASS_SCHEMA = {
  maxSteps: { type: "number", integer: true, min: 1, default: 100, doc: "episode length" },
  actionCost: { type: "number", min: 0, default: 0.1, doc: "weight of a^2 in the cost" },
} as const;

/** A point mass on a line: obs [x, v], action force in [-1, 1], reward -(x^2 + c a^2). */
class PointMass implements Env {
  readonly id = "PointMass-v0";
  readonly observationSpace = box(-Infinity, Infinity, 2);
  readonly actionSpace = box(-1, 1, 1);
  readonly maxEpisodeSteps: number;
  private readonly actionCost: number;
  private x = 0;
  private v = 0;
  private t = 0;
  private rng = new Rng(0);

  constructor(params: ValuesOf<typeof POINT_MASS_SCHEMA>) {
    this.maxEpisodeSteps = params.maxSteps;
    this.actionCost = params.actionCost;
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.x = this.rng.uniformRange(-1, 1);
    this.v = 0;
    this.t = 0;
    return new Float32Array([this.x, this.v]);
  }

  step(action: Float32Array): StepResult {
    const a = Math.max(-1, Math.min(1, action[0]));
    const dt = 0.1;
    this.v += a * dt;
    this.x += this.v * dt;
    this.t++;
    return {
      obs: new Float32Array([this.x, this.v]),
      reward: -(this.x * this.x + this.actionCost * a * a),
      terminated: false,
      truncated: this.t >= this.maxEpisodeSteps,
    };
  }

  state(): { x: number; v: number; t: number; rng: RngState } {
    return { x: this.x, v: this.v, t: this.t, rng: this.rng.state() };
  }

  load(state: unknown): void {
    const s = state as { x: number; v: number; t: number; rng: RngState };
    this.x = s.x;
    this.v = s.v;
    this.t = s.t;
    this.rng.load(s.rng);
  }
}

const LINEAR_SCHEMA = {
  noiseStd: { type: "number", min: 0, default: 0.1, doc: "exploration noise of act()" },
} as const;

/** A linear policy over plain arrays: no tensors needed to be a Policy. */
class LinearPolicy implements Policy {
  readonly kind = "linear";
  readonly obsDim: number;
  readonly actDim: number;
  readonly actionSpace: Box;
  readonly obsNormalizer: ObsNormalizer;
  /** Row-major `actDim x (obsDim + 1)`: weights then bias per action dim. */
  theta: Float32Array;
  private readonly noiseStd: number;

  constructor(spec: PolicySpec, params: ValuesOf<typeof LINEAR_SCHEMA>) {
    this.obsDim = spec.observationSpace.low.length;
    this.actDim = spec.actionSpace.low.length;
    this.actionSpace = spec.actionSpace;
    this.obsNormalizer = new ObsNormalizer(this.obsDim, false);
    this.theta = new Float32Array(this.actDim * (this.obsDim + 1));
    this.noiseStd = params.noiseStd;
  }

  /** Actions for a batch, with one parameter vector per row (`thetas[row]`) if given. */
  actWith(obs: Float32Array, thetas: Float32Array[], rng: Rng | null): Float32Array {
    const { obsDim, actDim } = this;
    const batch = obs.length / obsDim;
    const out = new Float32Array(batch * actDim);
    for (let r = 0; r < batch; r++) {
      const theta = thetas[r] ?? this.theta;
      for (let a = 0; a < actDim; a++) {
        const row = a * (obsDim + 1);
        let s = theta[row + obsDim];
        for (let d = 0; d < obsDim; d++) s += theta[row + d] * obs[r * obsDim + d];
        if (rng) s += this.noiseStd * rng.normal();
        const lo = this.actionSpace.low[a];
        const hi = this.actionSpace.high[a];
        out[r * actDim + a] = Math.max(lo, Math.min(hi, s));
      }
    }
    return out;
  }

  act(obs: Float32Array, options: ActOptions): Float32Array {
    return this.actWith(obs, [], options.deterministic ? null : options.rng);
  }

  trainableVariables(): [] {
    return [];
  }

  weights(): NamedArrays {
    return { theta: { shape: [this.actDim, this.obsDim + 1], data: this.theta.slice() } };
  }

  loadWeights(weights: NamedArrays): void {
    if (weights.theta?.data.length !== this.theta.length) {
      throw new Error("linear policy: 'theta' is missing or has the wrong size");
    }
    this.theta.set(weights.theta.data);
  }

  dispose(): void {}
}

const BRS_SCHEMA = {
  directions: { type: "number", integer: true, min: 1, default: 8 },
  stepSize: { type: "number", min: 0, exclusiveMin: true, default: 0.02 },
  noise: { type: "number", min: 0, exclusiveMin: true, default: 0.03 },
} as const;

/**
 * Basic Random Search: each iteration plays one episode for each of `2 * directions`
 * perturbed parameter vectors (one per env copy) and steps along the return differences.
 */
class RandomSearch implements Algorithm {
  readonly policy: LinearPolicy;
  envSteps = 0;
  private readonly context: AlgorithmContext<ValuesOf<typeof BRS_SCHEMA>, LinearPolicy>;

  constructor(context: AlgorithmContext<ValuesOf<typeof BRS_SCHEMA>, LinearPolicy>) {
    if (context.env.numEnvs !== 2 * context.params.directions) {
      throw new Error(
        `random-search needs numEnvs = 2 * directions (${2 * context.params.directions}), ` +
          `got ${context.env.numEnvs}`,
      );
    }
    this.context = context;
    this.policy = context.policy;
  }

  iterate(): IterationResult {
    const { env, params, rng } = this.context;
    const n = params.directions;
    const deltas = Array.from(
      { length: n },
      () => rng.fillNormal(new Float32Array(this.policy.theta.length)),
    );
    const thetas = deltas.flatMap((d) =>
      [+1, -1].map((sign) => {
        const t = this.policy.theta.slice();
        for (let i = 0; i < t.length; i++) t[i] += sign * params.noise * d[i];
        return t;
      })
    );
    const returns = new Array<number>(2 * n).fill(NaN);
    const episodes: EpisodeStat[] = [];
    while (returns.some(Number.isNaN)) {
      const step = env.step(this.policy.actWith(env.obs, thetas, null));
      this.envSteps += env.numEnvs;
      for (const ep of step.episodes) {
        episodes.push(ep);
        if (Number.isNaN(returns[ep.envIndex])) returns[ep.envIndex] = ep.return;
      }
    }
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length) ||
      1;
    const theta = this.policy.theta;
    for (let k = 0; k < n; k++) {
      const diff = returns[2 * k] - returns[2 * k + 1];
      for (let i = 0; i < theta.length; i++) {
        theta[i] += (params.stepSize / (n * std)) * diff * deltas[k][i];
      }
    }
    return { metrics: { return_std: std }, episodes };
  }

  state(): { envSteps: number; rng: RngState } {
    return { envSteps: this.envSteps, rng: this.context.rng.state() };
  }

  load(state: unknown): void {
    const s = state as { envSteps: number; rng: RngState };
    this.envSteps = s.envSteps;
    this.context.rng.load(s.rng);
  }

  dispose(): void {}
}

/** The plugin: the default export is what `--plugin` loads. */
export default definePlugin({
  name: "point-mass-example",
  envs: {
    "PointMass-v0": defineEnv({
      description: "1-D point mass to the origin, 100 steps",
      schema: POINT_MASS_SCHEMA,
      create: (params) => new PointMass(params),
    }),
  },
  policies: {
    linear: definePolicy({
      description: "linear map with Gaussian exploration noise",
      kind: "linear",
      schema: LINEAR_SCHEMA,
      create: (spec, params) => new LinearPolicy(spec, params),
    }),
  },
  algorithms: {
    "random-search": defineAlgorithm<typeof BRS_SCHEMA, LinearPolicy>({
      description: "Basic Random Search over a linear policy",
      schema: BRS_SCHEMA,
      defaultPolicy: "linear",
      policyKinds: ["linear"],
      defaultNumEnvs: 16,
      create: (context) => new RandomSearch(context),
    }),
  },
});
