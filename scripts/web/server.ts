/**
 * The viewer's HTTP server: binds 127.0.0.1 only and answers a fixed table of routes (the
 * page, its script, the two engines' WebAssembly files, the run's description and its
 * policy). No path from a request ever reaches the file system, so `../` leads nowhere.
 */
import {
  ConfigError,
  evalSeed,
  exportRunOnnx,
  type Registry,
  resolveConfig,
  RUN_FILES,
  RUN_SCHEMA,
  RunStore,
} from "../../core/mod.ts";
import { readModelMetadata, useBackend } from "../../core/tensor/mod.ts";
import { registryFor } from "../cli.ts";
import { bundleViewer, projectPath } from "./bundle.ts";
import type { PageRunInfo } from "./protocol.ts";

/** Options of {@link startViewerServer}. */
export interface ViewerServerOptions {
  /** Port on 127.0.0.1; 0 (the default) lets the system pick a free one. */
  port?: number;
  /** Seed of the page's first episode (default: the run's evaluation seed). */
  seed?: number;
  /** Start with sampled actions instead of the mean action. */
  stochastic?: boolean;
}

/** A running viewer server. */
export interface ViewerServer {
  /** The page's address, `http://127.0.0.1:PORT/`. */
  url: string;
  hostname: string;
  port: number;
  /** The run as the page sees it. */
  info: PageRunInfo;
  /** Stops listening and waits until the server has finished. */
  shutdown(): Promise<void>;
}

/** onnxruntime-web's runtime files the page may load (the name alone selects the file). */
const ORT_FILE = /^ort-wasm-simd-threaded(\.[a-z]+)?\.(wasm|mjs)$/;

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  wasm: "application/wasm",
  json: "application/json",
  onnx: "application/octet-stream",
};

function reply(body: BodyInit, type: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: { "content-type": TYPES[type] ?? type, "cache-control": "no-store" },
  });
}

/** The run's models: the stochastic file as exported, and a deterministic one (as eval uses). */
async function runModels(
  store: RunStore,
  registry: Registry,
  backend: string,
): Promise<{ stochastic: Uint8Array | null; deterministic: Uint8Array }> {
  let file: Uint8Array | null = null;
  if (store.has(RUN_FILES.onnx)) file = Deno.readFileSync(store.path(RUN_FILES.onnx));
  const fileDeterministic = file !== null && readModelMetadata(file).deterministic === "true";
  if (file !== null && fileDeterministic) return { stochastic: null, deterministic: file };
  // What `deno task eval --onnx` does for a deterministic evaluation: export policy.bin
  // deterministically, in memory.
  await useBackend(backend as "wasm");
  const deterministic = exportRunOnnx(store, registry, { deterministic: true });
  const stochastic = file ?? exportRunOnnx(store, registry, { deterministic: false });
  return { stochastic, deterministic };
}

function learningCurve(store: RunStore): PageRunInfo["curve"] {
  const curve: PageRunInfo["curve"] = [];
  for (const row of store.readMetrics()) {
    const y = row["eval/return_mean"];
    if (typeof y === "number" && typeof row.step === "number") {
      curve.push({ step: row.step, return: y });
    }
  }
  return curve;
}

/**
 * Serves the viewer for the run in `dir` on 127.0.0.1. Errors in the run folder (no config,
 * no trained policy) are {@link ConfigError}s naming `RUN_DIR`.
 */
export async function startViewerServer(
  dir: string,
  options: ViewerServerOptions = {},
): Promise<ViewerServer> {
  const store = RunStore.open(dir, "runDir");
  const raw = store.readConfig();
  const registry = await registryFor(raw);
  const { config } = resolveConfig(raw, registry);
  if (!registry.env(config.env).view) {
    throw new ConfigError(`RUN_DIR: env '${config.env}' offers no drawing (EnvDefinition.view)`);
  }
  const backend = (raw.backend as string | undefined) ?? RUN_SCHEMA.backend.default;
  const models = await runModels(store, registry, backend);
  if (options.stochastic && models.stochastic === null) {
    throw new ConfigError(
      `--stochastic: '${store.path(RUN_FILES.onnx)}' is a deterministic export (no noise input)`,
    );
  }
  const status = store.has(RUN_FILES.status)
    ? JSON.parse(Deno.readTextFileSync(store.path(RUN_FILES.status)))
    : {};
  const info: PageRunInfo = {
    env: config.env,
    envParams: config.envParams,
    algo: config.algo,
    envSteps: Number(status.envSteps ?? 0),
    seed: options.seed ?? evalSeed(config.seed),
    deterministic: !options.stochastic,
    curve: learningCurve(store),
  };
  const app = await bundleViewer(config.plugins ?? []);
  const page = Deno.readFileSync(projectPath("scripts/web/index.html"));
  const mujocoWasm = projectPath("node_modules/@mujoco/mujoco/mujoco.wasm");
  const ortDir = projectPath("node_modules/onnxruntime-web/dist/");

  const handler = async (request: Request): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return reply("method not allowed\n", "text/plain", 405);
    }
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === "/" || path === "/index.html") return reply(page, "html");
    if (path === "/favicon.ico") return new Response(null, { status: 204 });
    if (path === "/app.js") return reply(app, "js");
    if (path === "/mujoco.wasm") return reply(await Deno.readFile(mujocoWasm), "wasm");
    if (path === "/api/run") return reply(JSON.stringify(info), "json");
    if (path === "/api/policy.onnx") {
      const mode = url.searchParams.get("mode") ?? "deterministic";
      const bytes = mode === "deterministic"
        ? models.deterministic
        : mode === "stochastic"
        ? models.stochastic
        : undefined;
      if (bytes === undefined) {
        return reply("mode: expected deterministic or stochastic\n", "text/plain", 400);
      }
      if (bytes === null) {
        return reply("the run's policy.onnx is a deterministic export\n", "text/plain", 404);
      }
      return reply(bytes as Uint8Array<ArrayBuffer>, "onnx");
    }
    const vendor = /^\/vendor\/ort\/([^/]+)$/.exec(path);
    if (vendor && ORT_FILE.test(vendor[1])) {
      return reply(await Deno.readFile(ortDir + vendor[1]), vendor[1].split(".").pop()!);
    }
    return reply("not found\n", "text/plain", 404);
  };

  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: (addr) => resolve(addr as Deno.NetAddr),
  }, handler);
  const addr = await listening;
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    hostname: addr.hostname,
    port: addr.port,
    info,
    shutdown: async () => {
      await server.shutdown();
    },
  };
}
