/**
 * The soft actor-critic family's hyper-parameters (SAC, WPO, DiffSAC, DiffWPO): the off-policy
 * skeleton's, plus the entropy temperature's.
 */
import type { ValuesOf } from "../../core/mod.ts";
import { Temperature } from "./critics.ts";
import { OFF_POLICY_SCHEMA } from "./off_policy.ts";

/** SAC hyper-parameters (CleanRL defaults), shared by the soft actor-critics. */
export const SAC_SCHEMA = {
  ...OFF_POLICY_SCHEMA,
  autotune: { type: "boolean", default: true, doc: "learn alpha toward the target entropy" },
  alpha: { type: "number", min: 0, default: 0.2, doc: "the temperature when autotune is off" },
  // CleanRL's sac_continuous_action.py starts log_alpha at 0 and Stable-Baselines3's SAC
  // (ent_coef "auto") at log(1.0): alpha starts at 1 when it is learned
  alphaInit: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 1,
    doc: "the temperature autotune starts from (CleanRL and Stable-Baselines3: 1)",
  },
  targetEntropyScale: { type: "number", min: 0, default: 1, doc: "target entropy = -scale*|A|" },
} as const;

/** Validated SAC parameters. */
export type SacParams = ValuesOf<typeof SAC_SCHEMA>;

/**
 * The temperature of `params`: learned from `alphaInit` with autotune, else fixed at `alpha`;
 * target entropy `-targetEntropyScale * actDim`, the critics' rate.
 */
export function softTemperature(
  params: Pick<SacParams, "alpha" | "alphaInit" | "autotune" | "targetEntropyScale" | "qLr">,
  actDim: number,
): Temperature {
  return new Temperature({
    alpha: params.autotune ? params.alphaInit : params.alpha,
    learned: params.autotune,
    targetEntropy: -params.targetEntropyScale * actDim,
    lr: params.qLr,
  });
}
