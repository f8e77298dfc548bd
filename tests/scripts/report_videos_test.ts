/**
 * `deno task report DIR --videos`: which runs get a video (finished, MuJoCo/DMC, with a saved policy), what
 * the recorder is asked for, and, in a real Chromium with ffmpeg, a report whose HTML links a
 * playable video of the asked frame count and size. The browser part skips, saying why,
 * without Chromium or ffmpeg.
 */
import assert from "node:assert/strict";
import { RUN_FILES } from "../../core/mod.ts";
import { recordRunVideos } from "../../scripts/experiments/report_videos.ts";
import type { RunRecord } from "../../scripts/experiments/summary.ts";
import type { RecordOptions } from "../../scripts/web/record_video.ts";
import { findBrowser, findFfmpeg, findFfprobe } from "../../scripts/web/browser.ts";
import { denoScript, tinyRun } from "./view_fixture.ts";

/** A run record with the fields the video choice reads. */
function record(run: string, env: string, status: RunRecord["status"]): RunRecord {
  return {
    run,
    algo: "sac",
    env,
    K: null,
    seed: 0,
    status,
    budget: 100,
    finalEval: 1,
    finalEvalStd: 0,
    bestEval: 1,
    envSteps: 100,
    wallClockS: 1,
    stepsPerS: 100,
    curve: [],
  };
}

Deno.test("report videos: finished runs of the wanted envs with a policy, one episode each", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dmerl-report-videos-" });
  try {
    const runs = [
      record("hopper-s0", "Hopper-v4", "finished"),
      record("hopper-s1", "Hopper-v4", "running"),
      record("walker s2", "dmc/walker-walk", "finished"),
      record("pendulum-s0", "Pendulum-v1", "finished"),
      record("cheetah-s0", "dmc/cheetah-run", "finished"),
    ];
    for (const r of runs) {
      Deno.mkdirSync(`${dir}/${r.run}`);
      if (r.run !== "cheetah-s0") Deno.writeTextFileSync(`${dir}/${r.run}/${RUN_FILES.policy}`, "");
    }
    const asked: [string, RecordOptions][] = [];
    const { videos, skipped } = await recordRunVideos(dir, runs, {
      outDir: `${dir}/out/report-videos`,
      href: "report-videos",
      frames: 30,
      wants: (env) => env !== "Pendulum-v1",
      record: (runDir, options) => {
        asked.push([runDir, options]);
        return Promise.resolve({
          frames: 30,
          width: 320,
          height: 240,
          fps: 125,
          returns: runDir.endsWith("hopper-s0") ? [12.5] : [],
          seconds: 1,
        });
      },
    });
    assert.deepEqual(asked.map(([d]) => d), [`${dir}/hopper-s0`, `${dir}/walker s2`]);
    assert.deepEqual(asked[1][1], {
      out: `${dir}/out/report-videos/walker_s2.mp4`,
      episodes: 1,
      maxFrames: 30,
      width: 320,
      height: 240,
    });
    assert.deepEqual(videos, [
      {
        run: "hopper-s0",
        env: "Hopper-v4",
        href: "report-videos/hopper-s0.mp4",
        frames: 30,
        episodeReturn: 12.5,
      },
      {
        run: "walker s2",
        env: "dmc/walker-walk",
        href: "report-videos/walker_s2.mp4",
        frames: 30,
        episodeReturn: null,
      },
    ]);
    assert.deepEqual(skipped, [`cheetah-s0 (no ${RUN_FILES.policy})`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report --video-frames: a count below 1 is one line and exit 2", async () => {
  const out = await denoScript("scripts/report.ts", [".", "--videos", "--video-frames", "0"]);
  assert.equal(out.code, 2);
  assert.match(out.stderr.trim(), /^.*--video-frames: expected an integer >= 1$/);
  assert.equal(out.stderr.trim().split("\n").length, 1);
});

const ffprobe = findFfprobe();
const tools = findBrowser() && findFfmpeg() && ffprobe;
if (!tools) {
  console.log(
    "report_videos_test: browser part skipped, Chromium or ffmpeg not found " +
      "(apt-get install -y chromium ffmpeg)",
  );
}

Deno.test({
  name: "report --videos: the HTML links a video of each finished MuJoCo run, none for Pendulum",
  ignore: !tools,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const parent = await Deno.makeTempDir({ prefix: "dmerl-report-videos-" });
    try {
      await tinyRun(parent, "hopper", { env: "Hopper-v4", steps: 200 });
      await tinyRun(parent, "pendulum", { env: "Pendulum-v1", steps: 200 });
      const out = await denoScript("scripts/report.ts", [
        parent,
        "--videos",
        "--video-frames",
        "12",
      ]);
      assert.equal(out.code, 0, out.stderr);
      const html = Deno.readTextFileSync(`${parent}/report.html`);
      const srcs = [...html.matchAll(/<video [^>]*src="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(srcs, ["report-videos/hopper.mp4"]);
      assert.match(Deno.readTextFileSync(`${parent}/report.md`), /\(report-videos\/hopper\.mp4\)/);
      const probe = await new Deno.Command(ffprobe!, {
        args: [
          ...["-v", "error", "-count_frames", "-select_streams", "v:0"],
          ...["-show_entries", "stream=nb_read_frames,width,height", "-of", "json"],
          `${parent}/report-videos/hopper.mp4`,
        ],
        stdout: "piped",
      }).output();
      const stream = JSON.parse(new TextDecoder().decode(probe.stdout)).streams[0];
      assert.deepEqual(
        [stream.width, stream.height, Number(stream.nb_read_frames)],
        [320, 240, 12],
      );
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  },
});
