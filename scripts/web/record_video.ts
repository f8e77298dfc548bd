/**
 * Records a run's policy to a video: the viewer page in a headless Chromium, one screenshot of
 * its canvas per env step, encoded by ffmpeg (MP4/H.264, WebM/VP9 or GIF, by the file name).
 */
import { ConfigError } from "../../core/mod.ts";
import { launchBrowser, requireBrowser, requireFfmpeg } from "./browser.ts";
import { startViewerServer } from "./server.ts";
import type { StepReport, ViewerApi } from "./viewer.ts";

/** Options of {@link recordVideo}. */
export interface RecordOptions {
  /** Output file; `.mp4`, `.webm` or `.gif`. */
  out: string;
  /** Episodes to play (default 1). */
  episodes?: number;
  /** Seed of episode 1 (default: the run's evaluation seed). */
  seed?: number;
  /** Frame size in pixels (default 640 x 480; even numbers for MP4). */
  width?: number;
  height?: number;
  /** Stop after this many frames even if the episodes are not over. */
  maxFrames?: number;
  /** Sampled actions instead of the mean action. */
  stochastic?: boolean;
}

/** What {@link recordVideo} wrote. */
export interface RecordResult {
  frames: number;
  width: number;
  height: number;
  fps: number;
  /** Returns of the episodes that finished in the video. */
  returns: number[];
  /** Wall-clock seconds, page load to encoded file. */
  seconds: number;
}

/** Video formats by file extension. */
export const VIDEO_FORMATS = ["mp4", "webm", "gif"] as const;

function encoderArgs(format: string, fps: number): string[] {
  switch (format) {
    case "mp4":
      return ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-r", `${fps}`];
    case "webm":
      return ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "0", "-crf", "34"];
    default: // gif: a palette made from the clip itself
      return ["-vf", "split[a][b];[a]palettegen[p];[b][p]paletteuse"];
  }
}

/** Checks options; every fault is a {@link ConfigError} naming the flag. */
function checked(options: RecordOptions) {
  const format = options.out.split(".").pop()!.toLowerCase();
  if (!(VIDEO_FORMATS as readonly string[]).includes(format)) {
    throw new ConfigError(
      `--out: '${options.out}' must end in one of ${VIDEO_FORMATS.map((f) => `.${f}`).join(", ")}`,
    );
  }
  const episodes = options.episodes ?? 1;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new ConfigError(`--episodes: expected an integer >= 1, got ${episodes}`);
  }
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  for (const [flag, v] of [["--width", width], ["--height", height]] as const) {
    if (!Number.isInteger(v) || v < 16 || v > 4096 || (format === "mp4" && v % 2 !== 0)) {
      throw new ConfigError(
        `${flag}: expected an integer in 16..4096${format === "mp4" ? " (even for MP4)" : ""}, ` +
          `got ${v}`,
      );
    }
  }
  const maxFrames = options.maxFrames ?? Infinity;
  if (maxFrames !== Infinity && (!Number.isInteger(maxFrames) || maxFrames < 1)) {
    throw new ConfigError(`--frames: expected an integer >= 1, got ${maxFrames}`);
  }
  return { format, episodes, width, height, maxFrames };
}

/**
 * Plays `episodes` episodes of the run in `dir` in a headless Chromium and encodes one frame per
 * env step (the first frame is the start state; the state after an episode's last step is
 * not drawn, since the page has already started the next episode). A missing browser or
 * encoder is a {@link ConfigError} with the line that installs it.
 */
export async function recordVideo(dir: string, options: RecordOptions): Promise<RecordResult> {
  const { format, episodes, width, height, maxFrames } = checked(options);
  requireBrowser();
  const ffmpegPath = requireFfmpeg();
  const started = performance.now();
  const server = await startViewerServer(dir, {
    seed: options.seed,
    stochastic: options.stochastic,
  });
  const headless = await launchBrowser();
  let encoder: Deno.ChildProcess | null = null;
  try {
    const page = await headless.browser.newPage();
    await page.setViewport({ width, height });
    await page.goto(`${server.url}?width=${width}&height=${height}`);
    const ready = await page.evaluate(async () => {
      // deno-lint-ignore no-explicit-any
      const w = globalThis as any;
      try {
        await w.dmerlReady;
        return { fps: (w.dmerl as ViewerApi).fps(), error: null };
      } catch {
        return { fps: 0, error: String(w.dmerlError) };
      }
    });
    if (ready.error !== null) throw new Error(`viewer page failed: ${ready.error}`);
    // GIF frame delays are in hundredths of a second: at most 50 frames per second there.
    const fps = format === "gif" ? Math.min(ready.fps, 50) : ready.fps;
    encoder = new Deno.Command(ffmpegPath, {
      args: [
        ...["-y", "-loglevel", "error", "-f", "image2pipe", "-framerate", `${fps}`],
        ...["-c:v", "mjpeg", "-i", "-"],
        ...encoderArgs(format, fps),
        options.out,
      ],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const writer = encoder.stdin.getWriter();
    const clip = { x: 0, y: 0, width, height };
    const returns: number[] = [];
    let frames = 0;
    const capture = async () => {
      const jpeg = await page.screenshot({ type: "jpeg", quality: 92, clip });
      await writer.write(jpeg);
      frames++;
    };
    await capture();
    while (returns.length < episodes && frames < maxFrames) {
      const report: StepReport = await page.evaluate(
        // deno-lint-ignore no-explicit-any
        () => ((globalThis as any).dmerl as ViewerApi).step(1),
      );
      for (const ep of report.finished) returns.push(ep.return);
      if (returns.length < episodes) await capture();
    }
    await writer.close();
    const { code } = await encoder.status;
    const errors = new TextDecoder().decode(
      (await new Response(encoder.stderr).arrayBuffer()) as ArrayBuffer,
    );
    encoder = null;
    if (code !== 0) throw new Error(`ffmpeg failed (exit ${code}): ${errors.trim()}`);
    return { frames, width, height, fps, returns, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (encoder) {
      try {
        encoder.kill();
      } catch {
        // already gone
      }
    }
    await headless.close();
    await server.shutdown();
  }
}
