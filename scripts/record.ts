/**
 * `deno task record RUN_DIR --out FILE [--episodes N] [--seed S] [--width W --height H]`:
 * writes a video of the run's policy (MP4, WebM or GIF by the file name), drawn by the viewer
 * page in a headless Chromium and encoded by ffmpeg.
 */
import { ConfigError } from "../core/mod.ts";
import { type FlagSpec, parseFlags, runMain, usage } from "./cli.ts";
import { recordVideo } from "./web/record_video.ts";

/** The flags of `record`, shared with `eval --record`. */
export const RECORD_FLAGS: Record<string, FlagSpec> = {
  "--out": { key: "out", kind: "string", help: "video file: .mp4, .webm or .gif (required)" },
  "--episodes": { key: "episodes", kind: "int", help: "episodes to record (default 1)" },
  "--seed": { key: "seed", kind: "int", help: "seed of episode 1 (default: the run's eval seed)" },
  "--width": { key: "width", kind: "int", help: "frame width in pixels (default 640)" },
  "--height": { key: "height", kind: "int", help: "frame height in pixels (default 480)" },
  "--frames": { key: "frames", kind: "int", help: "stop after this many frames" },
  "--stochastic": { key: "stochastic", kind: "boolean", help: "sample actions (default: mean)" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

if (import.meta.main) {
  await runMain(async () => {
    const args = parseFlags(Deno.args, RECORD_FLAGS);
    if (args.values.help) {
      console.log(usage("deno task record RUN_DIR --out FILE [flags]", RECORD_FLAGS));
      return 0;
    }
    if (args.positional.length !== 1) {
      throw new ConfigError(
        "RUN_DIR: give exactly one run folder, e.g. deno task record runs/my-run --out a.mp4",
      );
    }
    const out = args.values.out as string | undefined;
    if (!out) throw new ConfigError("--out: give the video file, e.g. --out hopper.mp4");
    const v = args.values;
    const result = await recordVideo(args.positional[0], {
      out,
      episodes: v.episodes as number | undefined,
      seed: v.seed as number | undefined,
      width: v.width as number | undefined,
      height: v.height as number | undefined,
      maxFrames: v.frames as number | undefined,
      stochastic: Boolean(v.stochastic),
    });
    console.log(
      `wrote ${out}: ${result.frames} frames ${result.width}x${result.height} at ${result.fps} fps` +
        `, episode returns [${result.returns.map((r) => r.toFixed(2)).join(", ")}]` +
        ` in ${result.seconds.toFixed(1)} s`,
    );
    return 0;
  });
}
