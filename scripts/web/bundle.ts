/**
 * Bundles the viewer page for the browser with esbuild: scripts/web/viewer.ts plus the env
 * plugins (the built-in ones and the run's own `--plugin` modules), so the page builds its env
 * with the same code as `deno task train`.
 */
import * as esbuild from "esbuild";

const ROOT = new URL("../../", import.meta.url);

/** The built-in plugins that register envs (the algorithm plugins stay out of the page). */
const ENV_PLUGINS = [
  "plugins/classic_control/mod.ts",
  "plugins/mujoco/mod.ts",
  "plugins/dmc/mod.ts",
];

/** Absolute path of a file of this project. */
export function projectPath(relative: string): string {
  return decodeURIComponent(new URL(relative, ROOT).pathname);
}

/**
 * The page's script (`app.js`): an ES module that starts the viewer with the env plugins and
 * publishes its API as `window.dmerl` (and the start-up promise as `window.dmerlReady`).
 * `plugins` are the run's extra plugin modules (absolute paths or file URLs).
 */
export async function bundleViewer(plugins: readonly string[] = []): Promise<string> {
  const modules = [
    ...ENV_PLUGINS.map(projectPath),
    ...plugins.map((p) => p.startsWith("file://") ? decodeURIComponent(new URL(p).pathname) : p),
  ];
  const entry = [
    `import { startViewer } from ${JSON.stringify(projectPath("scripts/web/viewer.ts"))};`,
    ...modules.map((m, i) => `import p${i} from ${JSON.stringify(m)};`),
    `window.dmerlReady = startViewer([${modules.map((_, i) => `p${i}`).join(", ")}]).then(`,
    `  (api) => (window.dmerl = api),`,
    `  (e) => {`,
    `    window.dmerlError = String(e && e.stack || e);`,
    `    document.getElementById("error").textContent = "error: " + window.dmerlError;`,
    `    throw e;`,
    `  });`,
  ].join("\n");
  try {
    const result = await esbuild.build({
      stdin: { contents: entry, resolveDir: projectPath("."), sourcefile: "entry.js" },
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      // Node-only branches of the engine and the onnxruntime-node import of OnnxActor are
      // never taken in a browser.
      external: ["onnxruntime-node", "node:*", "fs", "path", "module", "url", "worker_threads"],
      logLevel: "silent",
      absWorkingDir: projectPath("."),
    });
    return result.outputFiles[0].text;
  } finally {
    await esbuild.stop();
  }
}
