/**
 * The diffusion-augmented MDP (DA-MDP) over any vectorised env: one env step becomes K
 * augmented steps. The augmented state is `(s, a^k, k)`; the augmented action is the next
 * latent `a^{k-1}`. For k > 1 the transition is deterministic to `(s, a^{k-1}, k-1)` with
 * reward 0; at k = 1 the env executes `squash(a^0)`, pays its reward, and the chain restarts
 * from a fresh prior draw `a'^K ~ N(0, sigma0^2 I)` at the next env state.
 *
 * The soft reward of an augmented step is `r [k = 1] - tau l_k` ({@link softReward}); the
 * per-augmented-step discount is `gamma^(1/K)` ({@link augmentedGamma}).
 */
import {
  type EpisodeStat,
  type Rng,
  type RngState,
  squashToBox,
  type VecEnv,
} from "../../core/mod.ts";

/** What one augmented step returned; arrays are reused between calls. */
export interface AugmentedStep {
  /** True when this augmented step was the env step (k was 1). */
  envStep: boolean;
  /** Env reward at the env step, zeros otherwise: `[numEnvs]`. */
  reward: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** At the env step: the env's final observations (see VecStep.finalObs). */
  finalObs: Float32Array | null;
  episodes: EpisodeStat[];
}

/** Serialisable state of a {@link DiffusionAugmentedEnv}. */
export interface DaMdpState {
  k: number;
  latent: Float32Array;
  rng: RngState;
}

/** `gamma_aug = gamma^(1/K)`: K augmented steps discount like one env step. */
export function augmentedGamma(gamma: number, steps: number): number {
  return Math.pow(gamma, 1 / steps);
}

/** Soft reward of an augmented step: `r [env step] - tau * l_k`, in place into `out`. */
export function softReward(
  reward: Float32Array,
  envStep: boolean,
  logRatio: ArrayLike<number>,
  tau: number,
  out: Float32Array = new Float32Array(logRatio.length),
): Float32Array {
  for (let i = 0; i < out.length; i++) {
    out[i] = (envStep ? reward[i] : 0) - tau * logRatio[i];
  }
  return out;
}

/** The DA-MDP wrapper: every env copy moves through k = K, ..., 1 in lockstep. */
export class DiffusionAugmentedEnv {
  readonly env: VecEnv;
  /** K. */
  readonly steps: number;
  readonly sigma0: number;
  private readonly rng: Rng;
  private kValue: number;
  private readonly current: Float32Array;
  private readonly zeroReward: Float32Array;
  private readonly zeroFlags: Uint8Array;

  /** Wraps `env`; the first chain starts from a prior draw made with `rng`. */
  constructor(env: VecEnv, options: { steps: number; sigma0: number; rng: Rng }) {
    this.env = env;
    this.steps = options.steps;
    this.sigma0 = options.sigma0;
    this.rng = options.rng;
    this.current = new Float32Array(env.numEnvs * env.actDim);
    this.zeroReward = new Float32Array(env.numEnvs);
    this.zeroFlags = new Uint8Array(env.numEnvs);
    this.kValue = this.steps;
    this.drawPrior();
  }

  /**
   * The DA-MDP of a diffusion policy (its K and sigma0) over `env`, with the prior drawn from
   * `rng.fork("da-mdp")` (forking does not advance `rng`).
   */
  static forPolicy(
    env: VecEnv,
    policy: { readonly steps: number; readonly sigma0: number },
    rng: Rng,
  ): DiffusionAugmentedEnv {
    return new DiffusionAugmentedEnv(env, {
      steps: policy.steps,
      sigma0: policy.sigma0,
      rng: rng.fork("da-mdp"),
    });
  }

  private drawPrior(): void {
    for (let i = 0; i < this.current.length; i++) this.current[i] = this.sigma0 * this.rng.normal();
  }

  /** The diffusion index k of the current augmented state (K at an env state). */
  get k(): number {
    return this.kValue;
  }

  /** The env observations s of the current augmented state. */
  get obs(): Float32Array {
    return this.env.obs;
  }

  /** The current latents a^k: `numEnvs * actDim` (a view; copy before mutating). */
  get latent(): Float32Array {
    return this.current;
  }

  /** Takes the augmented action `next = a^{k-1}` for every copy. */
  step(next: Float32Array): AugmentedStep {
    if (next.length !== this.current.length) {
      throw new Error(`DA-MDP step: expected ${this.current.length} latents, got ${next.length}`);
    }
    if (this.kValue > 1) {
      this.current.set(next);
      this.kValue -= 1;
      return {
        envStep: false,
        reward: this.zeroReward,
        terminated: this.zeroFlags,
        truncated: this.zeroFlags,
        finalObs: null,
        episodes: [],
      };
    }
    const result = this.env.step(squashToBox(next, this.env.actionSpace));
    this.kValue = this.steps;
    this.drawPrior();
    return {
      envStep: true,
      reward: result.reward,
      terminated: result.terminated,
      truncated: result.truncated,
      finalObs: result.finalObs,
      episodes: result.episodes,
    };
  }

  /** k, the latents and the prior generator (the wrapped VecEnv saves its own state). */
  state(): DaMdpState {
    return { k: this.kValue, latent: this.current.slice(), rng: this.rng.state() };
  }

  /** Restores {@link DiffusionAugmentedEnv.state}'s output. */
  load(state: DaMdpState): void {
    if (state.latent.length !== this.current.length || state.k < 1 || state.k > this.steps) {
      throw new Error("DA-MDP state does not fit this env (latent size or k out of range)");
    }
    this.kValue = state.k;
    this.current.set(state.latent);
    this.rng.load(state.rng);
  }
}
