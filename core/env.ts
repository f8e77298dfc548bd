import type { Box } from "./spaces.ts";
import { Rng, type RngState } from "./rng.ts";

/** One transition of a single env, Gymnasium's meaning of terminated vs truncated. */
export interface StepResult {
  obs: Float32Array;
  reward: number;
  /** The MDP reached a terminal state: no bootstrapping past it. */
  terminated: boolean;
  /** The episode was cut (time limit): bootstrapping past it is correct. */
  truncated: boolean;
  /** Optional named scalars (reward terms etc.). */
  info?: Record<string, number>;
}

/** A single environment instance. */
export interface Env {
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  /** Episode step limit after which `truncated` is set (Gymnasium's TimeLimit). */
  readonly maxEpisodeSteps: number;
  /** Starts an episode; a seed re-seeds the env's generator. */
  reset(seed?: number): Float32Array;
  /** Applies one action (length = action size, inside the action Box). */
  step(action: Float32Array): StepResult;
  /** Serialisable internal state (for exact resume). */
  state(): unknown;
  /** Restores {@link Env.state}'s output. */
  load(state: unknown): void;
  /** Frees native resources, if any. */
  close?(): void;
}

/** Builds one env; `params` are the env's own options from the run config. */
export type EnvFactory = (params: Record<string, unknown>) => Env;

/** A finished episode reported by {@link VecEnv.step}. */
export interface EpisodeStat {
  envIndex: number;
  return: number;
  length: number;
}

/** Batch output of {@link VecEnv.step}; arrays are reused between calls. */
export interface VecStep {
  /** `numEnvs * obsDim`: next observations, already reset where an episode ended. */
  obs: Float32Array;
  reward: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** `numEnvs * obsDim`: the true last observation where an episode ended, else equal to obs. */
  finalObs: Float32Array;
  /** Episodes finished during this step. */
  episodes: EpisodeStat[];
}

/** Serialisable state of a {@link VecEnv}. */
export interface VecEnvState {
  envs: unknown[];
  obs: number[];
  episodeReturn: number[];
  episodeLength: number[];
  rng: RngState;
}

/**
 * N copies of an env stepped together with same-step auto-reset: when copy i ends, its
 * `finalObs` row holds the last observation and its `obs` row the first one of the next
 * episode. Episode returns and lengths are tracked here, not by the envs.
 */
export class VecEnv {
  readonly envs: Env[];
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  private readonly rng: Rng;
  private readonly current: Float32Array;
  private readonly episodeReturn: Float64Array;
  private readonly episodeLength: Int32Array;
  private readonly out: VecStep;
  private readonly actionRow: Float32Array;

  /** Creates `numEnvs` envs from the factory, seeded from `seed`. */
  constructor(factory: () => Env, numEnvs: number, seed: number) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new Error(`numEnvs: expected an integer >= 1, got ${numEnvs}`);
    }
    this.envs = Array.from({ length: numEnvs }, factory);
    this.numEnvs = numEnvs;
    const first = this.envs[0];
    this.observationSpace = first.observationSpace;
    this.actionSpace = first.actionSpace;
    this.obsDim = first.observationSpace.low.length;
    this.actDim = first.actionSpace.low.length;
    this.rng = new Rng(seed).fork("vecenv");
    this.current = new Float32Array(numEnvs * this.obsDim);
    this.episodeReturn = new Float64Array(numEnvs);
    this.episodeLength = new Int32Array(numEnvs);
    this.actionRow = new Float32Array(this.actDim);
    this.out = {
      obs: new Float32Array(numEnvs * this.obsDim),
      reward: new Float32Array(numEnvs),
      terminated: new Uint8Array(numEnvs),
      truncated: new Uint8Array(numEnvs),
      finalObs: new Float32Array(numEnvs * this.obsDim),
      episodes: [],
    };
    for (let i = 0; i < numEnvs; i++) {
      this.current.set(this.envs[i].reset(this.rng.nextUint32()), i * this.obsDim);
    }
  }

  /** Current observations, `numEnvs * obsDim` (a view; copy before mutating). */
  get obs(): Float32Array {
    return this.current;
  }

  /** Steps every copy with `actions` (`numEnvs * actDim`). */
  step(actions: Float32Array): VecStep {
    const { obsDim, actDim, out } = this;
    if (actions.length !== this.numEnvs * actDim) {
      throw new Error(
        `VecEnv.step: expected ${this.numEnvs * actDim} actions, got ${actions.length}`,
      );
    }
    out.episodes = [];
    for (let i = 0; i < this.numEnvs; i++) {
      for (let d = 0; d < actDim; d++) this.actionRow[d] = actions[i * actDim + d];
      const r = this.envs[i].step(this.actionRow);
      out.reward[i] = r.reward;
      out.terminated[i] = r.terminated ? 1 : 0;
      out.truncated[i] = r.truncated ? 1 : 0;
      out.finalObs.set(r.obs, i * obsDim);
      this.episodeReturn[i] += r.reward;
      this.episodeLength[i] += 1;
      if (r.terminated || r.truncated) {
        out.episodes.push({
          envIndex: i,
          return: this.episodeReturn[i],
          length: this.episodeLength[i],
        });
        this.episodeReturn[i] = 0;
        this.episodeLength[i] = 0;
        this.current.set(this.envs[i].reset(this.rng.nextUint32()), i * obsDim);
      } else {
        this.current.set(r.obs, i * obsDim);
      }
    }
    out.obs.set(this.current);
    return out;
  }

  /** Serialisable state: every env, current observations, running episode stats, generator. */
  state(): VecEnvState {
    return {
      envs: this.envs.map((e) => e.state()),
      obs: Array.from(this.current),
      episodeReturn: Array.from(this.episodeReturn),
      episodeLength: Array.from(this.episodeLength),
      rng: this.rng.state(),
    };
  }

  /** Restores {@link VecEnv.state}'s output. */
  load(state: VecEnvState): void {
    if (state.envs.length !== this.numEnvs) {
      throw new Error(
        `VecEnv.load: checkpoint has ${state.envs.length} envs, run has ${this.numEnvs}`,
      );
    }
    state.envs.forEach((s, i) => this.envs[i].load(s));
    this.current.set(state.obs);
    this.episodeReturn.set(state.episodeReturn);
    this.episodeLength.set(state.episodeLength);
    this.rng.load(state.rng);
  }

  /** Closes every env. */
  close(): void {
    for (const e of this.envs) e.close?.();
  }
}
