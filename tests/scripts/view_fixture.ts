/**
 * Shared by the viewer tests: tiny trained runs made with `deno task train` and `export`, a
 * command runner, and a PNG decoder for screenshots.
 */
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";

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
