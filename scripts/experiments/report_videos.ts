/**
 * Short videos of an experiment's finished runs for its report (`deno task report DIR
 * --videos`): each chosen run's trained policy (its deterministic mean action) played from its evaluation seed in the viewer
 * page and encoded by `recordVideo`, into a folder next to the report.
 */
import { RUN_FILES } from "../../core/mod.ts";
import { type RecordOptions, type RecordResult, recordVideo } from "../web/record_video.ts";
import type { RunRecord } from "./summary.ts";

/** Options of {@link recordRunVideos}. */
export interface RunVideoOptions {
  /** Folder the videos go into (created when needed). */
  outDir: string;
  /** How the report's HTML reaches `outDir` (a relative path, no trailing slash). */
  href: string;
  /** Frames per video (default 250): the first episode, cut there. */
  frames?: number;
  /** Frame size (default 320 x 240). */
  width?: number;
  height?: number;
  /** Which envs get a video. */
  wants: (env: string) => boolean;
  /** The recorder (default {@link recordVideo}); tests may pass their own. */
  record?: (dir: string, options: RecordOptions) => Promise<RecordResult>;
}

/** One recorded video. */
export interface RunVideo {
  run: string;
  env: string;
  /** The file as the report links it. */
  href: string;
  frames: number;
  /** The episode's return, when it ended within the video. */
  episodeReturn: number | null;
}

/**
 * Records a video of every finished run in `runs` (folders under `dir`) whose env `wants`;
 * runs without a saved policy are skipped, each named with the reason.
 */
export async function recordRunVideos(
  dir: string,
  runs: readonly RunRecord[],
  options: RunVideoOptions,
): Promise<{ videos: RunVideo[]; skipped: string[] }> {
  const record = options.record ?? recordVideo;
  const videos: RunVideo[] = [];
  const skipped: string[] = [];
  for (const r of runs) {
    if (r.status !== "finished" || !options.wants(r.env)) continue;
    const runDir = `${dir}/${r.run}`;
    try {
      Deno.statSync(`${runDir}/${RUN_FILES.policy}`);
    } catch {
      skipped.push(`${r.run} (no ${RUN_FILES.policy})`);
      continue;
    }
    Deno.mkdirSync(options.outDir, { recursive: true });
    const name = `${r.run.replace(/[^A-Za-z0-9._-]/g, "_")}.mp4`;
    const result = await record(runDir, {
      out: `${options.outDir}/${name}`,
      episodes: 1,
      maxFrames: options.frames ?? 250,
      width: options.width ?? 320,
      height: options.height ?? 240,
    });
    videos.push({
      run: r.run,
      env: r.env,
      href: `${options.href}/${name}`,
      frames: result.frames,
      episodeReturn: result.returns.length > 0 ? result.returns[0] : null,
    });
  }
  return { videos, skipped };
}
