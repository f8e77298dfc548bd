/** Classic-control envs ported from Gymnasium, and the multimodal DoubleWell toy task. */
// The kernel file itself, not core/mod.ts: the viewer page bundles this module.
import { definePlugin } from "../../core/plugin.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { createMountainCarContinuous } from "../../envs/mountain_car_continuous.ts";
import { createDoubleWell } from "../../envs/double_well.ts";

/** The 2-D drawings, loaded only by the viewer page. */
async function view() {
  return (await import("./view.ts")).classicControlView;
}

/** The plugin. */
export default definePlugin({
  name: "classic-control",
  envs: {
    "Pendulum-v1": {
      description: "Gymnasium Pendulum-v1: swing up and balance, 200 steps",
      create: createPendulum,
      view,
    },
    "MountainCarContinuous-v0": {
      description: "Gymnasium MountainCarContinuous-v0: drive up the hill, 999 steps",
      create: createMountainCarContinuous,
      view,
    },
    "DoubleWell-v0": {
      description: "one-step 2-D task with two optimal action modes at +-45 degrees",
      create: createDoubleWell,
      view,
    },
  },
});
