/**
 * The viewer's drawings beyond Hopper and Pendulum, in a real headless Chromium: a DMC task
 * (dmc/walker-walk) runs in the page as in Deno and is drawn in 3-D through the model's camera
 * (not blank, and moving); MountainCarContinuous shows its hill, goal flag and car, and the car
 * moves; DoubleWell shows its two wells and, once actions are sampled, the newest one in red.
 * Skips, saying why, without Chromium.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { findBrowser } from "../../scripts/web/browser.ts";
import {
  api,
  assertSameTrajectory,
  decodePng,
  greyVariance,
  type Image,
  meanAbsDiff,
  tinyRun,
  withPage,
} from "./view_fixture.ts";

const browserPath = findBrowser();
if (!browserPath) {
  console.log(
    "view_drawings_browser_test: skipped, Chromium not found (apt-get install -y chromium)",
  );
}

const SIZE = { width: 320, height: 240 };

/** The page's canvas as an image. */
async function shot(page: Page): Promise<Image> {
  return decodePng(await page.screenshot({ type: "png", clip: { x: 0, y: 0, ...SIZE } }));
}

/** Pixels within `tol` of the colour `rgb` (each channel). */
function countColour(image: Image, rgb: [number, number, number], tol = 40): number {
  let n = 0;
  for (let i = 0; i < image.width * image.height; i++) {
    const o = i * image.channels;
    if (rgb.every((c, k) => Math.abs(image.pixels[o + k] - c) <= tol)) n++;
  }
  return n;
}

Deno.test({
  name: "viewer page: a DMC task in 3-D, MountainCarContinuous and DoubleWell are drawn",
  ignore: !browserPath,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const parent = await Deno.makeTempDir({ prefix: "dmerl-view-drawings-" });
    try {
      const walker = await tinyRun(parent, "walker", { env: "dmc/walker-walk", steps: 200 });
      await withPage(walker, async (page) => {
        await t.step("dmc/walker-walk: the page's env is Deno's", async () => {
          await assertSameTrajectory(page, "dmc/walker-walk");
        });
        await t.step("dmc/walker-walk: the screenshot is not blank and moves", async () => {
          await api(page, "reset", { seed: 1, deterministic: true });
          const first = await shot(page);
          await api(page, "step", 50);
          const later = await shot(page);
          const variance = greyVariance(first);
          assert.ok(variance > 100, `frame 0 looks blank (grey variance ${variance})`);
          // the walker's tan material (.7 .5 .3) is on screen
          assert.ok(countColour(first, [179, 128, 77], 60) > 200, "no walker-coloured pixels");
          const moved = meanAbsDiff(first, later);
          assert.ok(moved > 1, `frames 0 and 50 are (nearly) the same: mean difference ${moved}`);
        });
      }, SIZE);

      const car = await tinyRun(parent, "car", { env: "MountainCarContinuous-v0", steps: 200 });
      await withPage(car, async (page) => {
        await t.step("MountainCarContinuous: hill, flag and a car that moves", async () => {
          await api(page, "reset", { seed: 1, deterministic: false });
          const first = await shot(page);
          assert.ok(greyVariance(first) > 100, "blank");
          assert.ok(countColour(first, [229, 193, 0]) > 20, "no yellow goal flag");
          assert.ok(countColour(first, [223, 230, 216], 6) > 5000, "no filled hill");
          const carPixels = countColour(first, [47, 109, 181], 30);
          assert.ok(carPixels > 30, `no blue car (${carPixels} pixels)`);
          await api(page, "step", 60);
          assert.ok(meanAbsDiff(first, await shot(page)) > 0.05, "the car did not move");
        });
      }, SIZE);

      const well = await tinyRun(parent, "well", { env: "DoubleWell-v0", steps: 200 });
      await withPage(well, async (page) => {
        await t.step("DoubleWell: two wells, then the sampled actions on them", async () => {
          await api(page, "reset", { seed: 1, deterministic: false });
          const first = await shot(page);
          // the wells' centres are the darkest blue of the landscape
          assert.ok(countColour(first, [55, 135, 215], 25) > 50, "no wells drawn");
          assert.equal(countColour(first, [214, 39, 40], 30), 0, "an action before any step");
          await api(page, "step", 30);
          const later = await shot(page);
          assert.ok(countColour(later, [214, 39, 40], 30) > 10, "the newest action is not drawn");
          assert.ok(meanAbsDiff(first, later) > 0.05, "no actions drawn");
        });
      }, SIZE);
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  },
});
