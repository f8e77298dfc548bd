/**
 * The system's Chromium, driven headless by puppeteer-core (no browser download), and the
 * system's ffmpeg: where to find them and what to say when they are missing.
 */
import puppeteer, { type Browser } from "puppeteer-core";
import { ConfigError } from "../../core/mod.ts";

/** Where Debian (and most Linux systems) install Chromium and ffmpeg. */
const BROWSER_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const FFMPEG_PATHS = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"];
const FFPROBE_PATHS = ["/usr/bin/ffprobe", "/usr/local/bin/ffprobe"];

/** Flags for a quiet, private, GPU-less headless Chromium. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // WebGL on the CPU (SwiftShader), since there is no GPU.
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
];

function firstExisting(paths: readonly string[]): string | null {
  for (const path of paths) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not there
    }
  }
  return null;
}

/** The Chromium executable (`CHROMIUM_PATH` wins), or null. */
export function findBrowser(): string | null {
  const env = Deno.env.get("CHROMIUM_PATH");
  return env ? firstExisting([env]) : firstExisting(BROWSER_PATHS);
}

/** The ffmpeg executable, or null. */
export function findFfmpeg(): string | null {
  return firstExisting(FFMPEG_PATHS);
}

/** The ffprobe executable, or null. */
export function findFfprobe(): string | null {
  return firstExisting(FFPROBE_PATHS);
}

/** The Chromium path; a {@link ConfigError} with the install line when there is none. */
export function requireBrowser(): string {
  const path = findBrowser();
  if (!path) {
    throw new ConfigError(
      "browser: Chromium not found; install it with `apt-get install -y chromium` " +
        "(or set CHROMIUM_PATH)",
    );
  }
  return path;
}

/** The ffmpeg path; a {@link ConfigError} with the install line when there is none. */
export function requireFfmpeg(): string {
  const path = findFfmpeg();
  if (!path) {
    throw new ConfigError("encoder: ffmpeg not found; install it with `apt-get install -y ffmpeg`");
  }
  return path;
}

/** A headless Chromium with a fresh profile folder, removed by `close`. */
export interface HeadlessBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Starts the system Chromium headless with {@link CHROMIUM_FLAGS} and a fresh profile. */
export async function launchBrowser(): Promise<HeadlessBrowser> {
  const executablePath = requireBrowser();
  const profile = await Deno.makeTempDir({ prefix: "dmerl-chromium-" });
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
