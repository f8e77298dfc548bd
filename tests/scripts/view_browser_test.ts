/**
 * The viewer page in a real headless Chromium, against the same code in Deno: the in-page env
 * follows the Deno env's trajectory (Hopper-v4 and Pendulum-v1, 200 steps), the in-page policy
 * (onnxruntime-web) acts as `OnnxActor` does, the page's episode return equals
 * `deno task eval --onnx`, a Hopper screenshot is not blank and changes as it hops, and a
 * recorded video has the frames and size asked for. Skips, saying why, without Chromium (and
 * the video part without ffmpeg/ffprobe).
 */
import assert from "node:assert/strict";
import { OnnxActor } from "../../core/tensor/mod.ts";
import { findBrowser, findFfmpeg, findFfprobe } from "../../scripts/web/browser.ts";
import {
  api,
  assertSameTrajectory,
  decodePng,
  denoScript,
  greyVariance,
  meanAbsDiff,
  tinyRun,
  withPage,
} from "./view_fixture.ts";

const browserPath = findBrowser();
const ffmpeg = findFfmpeg();
const ffprobe = findFfprobe();
if (!browserPath) {
  console.log("view_browser_test: skipped, Chromium not found (apt-get install -y chromium)");
}

Deno.test({
  name: "viewer page: same env, policy and return as Deno; Hopper is drawn; video size",
  ignore: !browserPath,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const parent = await Deno.makeTempDir({ prefix: "dmerl-view-browser-" });
    try {
      const hopper = await tinyRun(parent, "hopper", { env: "Hopper-v4", steps: 200 });
      const pendulum = await tinyRun(parent, "pendulum", { env: "Pendulum-v1", steps: 200 });
      const seed = 42;
      const evalRun = await denoScript("scripts/eval.ts", [
        ...[hopper, "--onnx", "--episodes", "1", "--seed", `${seed}`, "--json"],
      ]);
      assert.equal(evalRun.code, 0, evalRun.stderr);
      const evaluated = JSON.parse(evalRun.stdout);

      await withPage(hopper, async (page) => {
        await t.step("Hopper-v4 trajectory and policy match Deno", async () => {
          const obs = await assertSameTrajectory(page, "Hopper-v4");
          const rows = obs.slice(0, 20);
          const actor = await OnnxActor.create(`${hopper}/policy.onnx`, {
            device: "cpu",
            seed: 9,
          });
          assert.equal(actor.deterministic, false, "the stochastic model: noise is compared too");
          const expected: number[][] = [];
          for (const row of rows) {
            expected.push(Array.from(await actor.act(Float32Array.from(row))));
          }
          await actor.release();
          const got = await api(page, "act", rows, { seed: 9, deterministic: false }) as number[][];
          let worst = 0;
          expected.forEach((row, r) =>
            row.forEach((v, i) => (worst = Math.max(worst, Math.abs(got[r][i] - v))))
          );
          assert.ok(worst <= 1e-5, `in-page actions differ by ${worst}`);
        });

        await t.step("the page's episode return equals eval --onnx", async () => {
          await api(page, "reset", { seed, deterministic: true });
          let finished: { return: number; length: number } | undefined;
          for (let i = 0; i < 1000 && !finished; i++) {
            const report = await api(page, "step", 10) as { finished: typeof finished[] };
            finished = report.finished[0];
          }
          assert.ok(finished, "the episode ended");
          assert.equal(finished.length, evaluated.lengths[0]);
          assert.ok(
            // Not bit for bit: onnxruntime-web's wasm kernels and onnxruntime-node's native
            // ones round the last bits of an action differently (well inside 1e-5).
            Math.abs(finished.return - evaluated.returns[0]) <=
              1e-6 * Math.max(1, Math.abs(evaluated.returns[0])),
            `page ${finished.return} vs eval ${evaluated.returns[0]}`,
          );
        });

        await t.step("a Hopper screenshot is not blank and changes as it moves", async () => {
          await api(page, "reset", { seed, deterministic: true });
          const clip = { x: 0, y: 0, width: 320, height: 240 };
          const first = decodePng(await page.screenshot({ type: "png", clip }));
          await api(page, "step", 50);
          const later = decodePng(await page.screenshot({ type: "png", clip }));
          assert.equal(first.width, 320);
          const variance = greyVariance(first);
          assert.ok(variance > 100, `frame 0 looks blank (grey variance ${variance})`);
          const moved = meanAbsDiff(first, later);
          assert.ok(moved > 1, `frames 0 and 50 are (nearly) the same: mean difference ${moved}`);
        });
      });

      await withPage(pendulum, async (page) => {
        await t.step("Pendulum-v1 trajectory matches Deno", async () => {
          await assertSameTrajectory(page, "Pendulum-v1");
        });
      });

      await t.step({
        name: "record writes the frames and size asked for",
        ignore: !ffmpeg || !ffprobe,
        fn: async () => {
          const out = `${parent}/hopper.mp4`;
          const rec = await denoScript("scripts/record.ts", [
            ...[hopper, "--out", out, "--episodes", "1", "--seed", `${seed}`],
            ...["--width", "160", "--height", "120"],
          ]);
          assert.equal(rec.code, 0, rec.stderr);
          const probe = await new Deno.Command(ffprobe!, {
            args: [
              ...["-v", "error", "-count_frames", "-select_streams", "v:0"],
              ...["-show_entries", "stream=nb_read_frames,width,height", "-of", "json", out],
            ],
            stdout: "piped",
          }).output();
          const stream = JSON.parse(new TextDecoder().decode(probe.stdout)).streams[0];
          assert.equal(stream.width, 160);
          assert.equal(stream.height, 120);
          assert.equal(Number(stream.nb_read_frames), evaluated.lengths[0]);
          assert.match(
            rec.stdout,
            new RegExp(`episode returns \\[${evaluated.returns[0].toFixed(2)}\\]`),
          );
        },
      });
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  },
});
