/**
 * Shared by the viewer tests: tiny trained runs made with `deno task train` and `export`, a
 * command runner, a PNG decoder for screenshots, and the viewer page in headless Chromium
 * (open it, call its API, compare its env with Deno's).
 */
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { launchBrowser } from "../../scripts/web/browser.ts";
import { startViewerServer } from "../../scripts/web/server.ts";
import type { ViewerApi } from "../../scripts/web/viewer.ts";
import { Rng } from "../../core/mod.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";

/** The project root (a path ending in `/`). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** Output of a finished command. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A <script> ...args` from the project root. */
export async function denoScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandOutput> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}${script}`, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/**
 * Trains `algo` on `env` for `steps` steps into `parent/name` and exports policy.onnx; returns
 * the run folder. Training is short: the policy only has to exist, not to be good.
 */
export async function tinyRun(
  parent: string,
  name: string,
  options: { env: string; algo?: string; steps?: number },
): Promise<string> {
  const steps = options.steps ?? 200;
  const train = await denoScript("scripts/train.ts", [
    ...["--env", options.env, "--algo", options.algo ?? "sac", "--steps", `${steps}`],
    ...["--eval-every", `${steps / 2}`, "--eval-episodes", "1", "--quiet"],
    ...["--out", parent, "--name", name],
  ]);
  if (train.code !== 0) throw new Error(`train failed: ${train.stderr}`);
  const dir = `${parent}/${name}`;
  const exported = await denoScript("scripts/export.ts", [dir]);
  if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr}`);
  return dir;
}

/** A decoded 8-bit PNG: `channels` values per pixel, rows top to bottom. */
export interface Image {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** Decodes an 8-bit, non-interlaced RGB/RGBA/grey PNG (what Chromium's screenshots are). */
export function decodePng(bytes: Uint8Array): Image {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8; // signature
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      const [depth, color, , , interlace] = data.subarray(8, 13);
      if (depth !== 8 || interlace !== 0) throw new Error("decodePng: 8-bit non-interlaced only");
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[color];
      if (!channels) throw new Error(`decodePng: colour type ${color} not supported`);
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    offset += 12 + length;
  }
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[i] = (line[i] + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Variance of the pixels' grey levels (0 for a blank image). */
export function greyVariance(image: Image): number {
  const n = image.width * image.height;
  let sum = 0, sum2 = 0;
  for (let p = 0; p < n; p++) {
    const o = p * image.channels;
    const g = image.channels >= 3
      ? (image.pixels[o] + image.pixels[o + 1] + image.pixels[o + 2]) / 3
      : image.pixels[o];
    sum += g;
    sum2 += g * g;
  }
  return sum2 / n - (sum / n) ** 2;
}

/** Mean absolute difference of two same-size images, over all channels. */
export function meanAbsDiff(a: Image, b: Image): number {
  if (a.pixels.length !== b.pixels.length) throw new Error("meanAbsDiff: sizes differ");
  let total = 0;
  for (let i = 0; i < a.pixels.length; i++) total += Math.abs(a.pixels[i] - b.pixels[i]);
  return total / a.pixels.length;
}

/** Opens the viewer of `run` in a headless page and runs `body` with it. */
export async function withPage(
  run: string,
  body: (page: Page) => Promise<void>,
  size = { width: 320, height: 240 },
): Promise<void> {
  const server = await startViewerServer(run);
  const headless = await launchBrowser();
  try {
    const page = await headless.browser.newPage();
    await page.setViewport(size);
    await page.goto(`${server.url}?width=${size.width}&height=${size.height}`);
    const error = await page.evaluate(async () => {
      // deno-lint-ignore no-explicit-any
      const w = globalThis as any;
      try {
        await w.dmerlReady;
        return null;
      } catch {
        return String(w.dmerlError);
      }
    });
    assert.equal(error, null);
    await body(page);
  } finally {
    await headless.close();
    await server.shutdown();
  }
}

/** Calls `window.dmerl[name](...args)` in the page. */
export function api<K extends keyof ViewerApi>(
  page: Page,
  name: K,
  ...args: unknown[]
): Promise<unknown> {
  return page.evaluate(
    // deno-lint-ignore no-explicit-any
    (n, a) => (globalThis as any).dmerl[n](...a),
    name as string,
    args,
  );
}

/** 200 steps of the env in Deno and in the page, from the same seed and actions. */
export async function assertSameTrajectory(page: Page, envId: string): Promise<number[][]> {
  const registry = builtinRegistry();
  await registry.prepareEnv(envId);
  const env = registry.env(envId).create({});
  const rng = new Rng(11);
  const actDim = env.actionSpace.low.length;
  const actions = Array.from({ length: 200 }, () =>
    Array.from({ length: actDim }, (_, i) => {
      const [lo, hi] = [env.actionSpace.low[i], env.actionSpace.high[i]];
      return lo + (hi - lo) * rng.uniform();
    }));
  const expected = [Array.from(env.reset(3))];
  for (const a of actions) {
    const out = env.step(Float32Array.from(a));
    expected.push(Array.from(out.obs));
    // Keep stepping past a termination: the dynamics are still defined and still compared.
  }
  env.close?.();
  const got = await api(page, "trajectory", 3, actions) as number[][];
  assert.equal(got.length, 201);
  let worst = 0;
  for (let t = 0; t < expected.length; t++) {
    for (let i = 0; i < expected[t].length; i++) {
      worst = Math.max(worst, Math.abs(got[t][i] - expected[t][i]));
    }
  }
  assert.ok(worst <= 1e-6, `${envId}: in-page observations differ by ${worst}`);
  return expected;
}
