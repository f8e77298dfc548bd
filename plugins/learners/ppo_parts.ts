/**
 * The learner parts PPO and DiffPPO keep besides the policy, built from `PPO_SCHEMA`'s
 * hyper-parameters, and their checkpoint state.
 */
import type { AlgorithmContext, Rng, RngState } from "../../core/mod.ts";
import {
  Adam,
  disposeVariables,
  exportVariables,
  importVariables,
  Mlp,
  ReturnNormalizer,
} from "../../core/tensor/mod.ts";
import type { PpoParams } from "./ppo_objective.ts";

/** The `PPO_SCHEMA` parameters that {@link PpoParts} is built from. */
export type PpoPartsParams = Pick<
  PpoParams,
  "lr" | "annealLr" | "maxGradNorm" | "normalizeReward" | "criticHidden" | "criticActivation"
>;

/** Checkpoint state of {@link PpoParts}, with the env-step counter and the generator. */
export interface PpoPartsState {
  envSteps: number;
  rng: RngState;
  critic: ReturnType<typeof exportVariables>;
  optimizer: ReturnType<Adam["state"]>;
  returnNormalizer: ReturnType<ReturnNormalizer["state"]> | null;
}

/**
 * CleanRL's critic (orthogonal init), one Adam over actor and critic with gradient-norm
 * clipping and learning-rate annealing, and the reward normaliser, with the algorithm's
 * generator for checkpoints.
 */
export class PpoParts {
  /** The value network (one output). */
  readonly critic: Mlp;
  /** One Adam over the policy's trainable variables and the critic's. */
  readonly optimizer: Adam;
  /** Reward scaling by the running std of the discounted return (null when disabled). */
  readonly returnNormalizer: ReturnNormalizer | null;
  private readonly rng: Rng;
  private readonly params: PpoPartsParams;
  private readonly totalSteps: number;

  /**
   * Builds, in this order: the critic over `criticInputs` floats (its weights drawn from
   * `context.rng`), Adam over the policy's trainable variables and the critic's, and, when
   * `normalizeReward`, a reward normaliser discounting with `returnGamma` per env step.
   */
  constructor(
    context: AlgorithmContext<PpoPartsParams>,
    criticInputs: number,
    returnGamma: number,
  ) {
    const { env, params, rng } = context;
    this.rng = rng;
    this.params = params;
    this.totalSteps = context.totalSteps;
    this.critic = new Mlp(criticInputs, 1, rng, {
      hidden: params.criticHidden,
      activation: params.criticActivation,
      hiddenInit: { kind: "orthogonal", gain: Math.SQRT2 },
      outputInit: { kind: "orthogonal", gain: 1 },
    });
    this.optimizer = new Adam(
      [...context.policy.trainableVariables(), ...this.critic.variables()],
      { lr: params.lr, eps: 1e-5, maxGradNorm: params.maxGradNorm },
    );
    this.returnNormalizer = params.normalizeReward
      ? new ReturnNormalizer(env.numEnvs, returnGamma)
      : null;
  }

  /** With `annealLr`, sets the learning rate to `lr * (1 - envSteps / totalSteps)` (>= 0). */
  annealLr(envSteps: number): void {
    if (this.params.annealLr) {
      this.optimizer.lr = this.params.lr * Math.max(0, 1 - envSteps / this.totalSteps);
    }
  }

  /** Critic, optimiser, reward normaliser, generator and the env-step counter. */
  state(envSteps: number): PpoPartsState {
    return {
      envSteps,
      rng: this.rng.state(),
      critic: exportVariables("critic", this.critic.variables()),
      optimizer: this.optimizer.state(),
      returnNormalizer: this.returnNormalizer?.state() ?? null,
    };
  }

  /** Restores {@link PpoParts.state}'s output (the caller restores the counter). */
  load(state: PpoPartsState): void {
    importVariables("critic", this.critic.variables(), state.critic);
    this.optimizer.load(state.optimizer);
    if (this.returnNormalizer && state.returnNormalizer) {
      this.returnNormalizer.load(state.returnNormalizer);
    }
    this.rng.load(state.rng);
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    disposeVariables(this.critic.variables());
    this.optimizer.dispose();
  }
}
