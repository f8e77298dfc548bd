/**
 * `deno task eval RUN_DIR [--episodes N] [--onnx [--model FILE] [--device cpu|cuda]]`: loads a
 * run's policy (or, with --onnx, its exported ONNX model run by onnxruntime) and reports its
 * returns.
 */
import {
  ConfigError,
  evalSeed,
  evaluatePolicy,
  type EvaluationResult,
  loadRunPolicy,
  type Registry,
  resolveConfig,
  RUN_FILES,
  RUN_SCHEMA,
  RunStore,
} from "../core/mod.ts";
import {
  ONNX_DEVICES,
  OnnxActor,
  type OnnxDevice,
  readModelMetadata,
  useBackend,
} from "../core/tensor/mod.ts";
import { recordVideo } from "./web/record_video.ts";
import { BACKEND_HELP, type FlagSpec, parseFlags, registryFor, runMain, usage } from "./cli.ts";

const FLAGS: Record<string, FlagSpec> = {
  "--episodes": { key: "episodes", kind: "int", help: "episodes to play (default 10)" },
  "--seed": { key: "seed", kind: "int", help: "env seed (default: the run's evaluation seed)" },
  "--stochastic": { key: "stochastic", kind: "boolean", help: "sample actions (default: mean)" },
  "--backend": {
    key: "backend",
    kind: "string",
    help: BACKEND_HELP,
  },
  "--onnx": {
    key: "onnx",
    kind: "boolean",
    help: "evaluate the exported model RUN_DIR/policy.onnx with onnxruntime",
  },
  "--model": {
    key: "model",
    kind: "string",
    help: "ONNX file to evaluate instead of RUN_DIR/policy.onnx (implies --onnx)",
  },
  "--device": {
    key: "device",
    kind: "string",
    help: "cpu | cuda: where onnxruntime runs the model (default cpu; with --onnx)",
  },
  "--record": {
    key: "record",
    kind: "string",
    help: "also write a video of the episodes (.mp4, .webm, .gif; as deno task record)",
  },
  "--json": { key: "json", kind: "boolean", help: "print the result as JSON" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

interface Outcome {
  result: EvaluationResult;
  envSteps: number;
  /** What was evaluated, for the output. */
  extra: Record<string, unknown>;
  label: string;
}

/** The run's TensorFlow.js policy (policy.bin). */
async function evaluateRunPolicy(
  store: RunStore,
  registry: Registry,
  backend: string,
  options: { episodes: number; seed?: number; stochastic: boolean },
): Promise<Outcome> {
  await useBackend(backend as "wasm");
  const { policy, config, file } = loadRunPolicy(store, registry);
  try {
    const result = await evaluatePolicy(
      policy,
      () => registry.env(file.env).create(file.envParams),
      {
        episodes: options.episodes,
        seed: options.seed ?? evalSeed(config.seed),
        deterministic: !options.stochastic,
      },
    );
    return {
      result,
      envSteps: file.envSteps,
      extra: {},
      label: `${config.algo} on ${config.env} after ${file.envSteps} steps`,
    };
  } finally {
    policy.dispose();
  }
}

/**
 * An exported model through onnxruntime, in the same env loop: the file itself, whatever it
 * is. A deterministic evaluation of a stochastic model feeds it zero noise (the Gaussian's
 * mean, the noise-free diffusion chain: what a deterministic export computes).
 */
async function evaluateOnnx(
  store: RunStore,
  registry: Registry,
  options: {
    episodes: number;
    seed?: number;
    stochastic: boolean;
    model?: string;
    device: OnnxDevice;
  },
): Promise<Outcome> {
  const { config } = resolveConfig(store.readConfig(), registry);
  const modelPath = options.model ?? store.path(RUN_FILES.onnx);
  const flag = options.model !== undefined ? "--model" : "--onnx";
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(modelPath);
  } catch {
    throw new ConfigError(
      `${flag}: '${modelPath}' does not exist` +
        (options.model === undefined ? `; export it with deno task export ${store.dir}` : ""),
    );
  }
  let meta: Record<string, string>;
  try {
    meta = readModelMetadata(bytes);
  } catch (e) {
    throw new ConfigError(`${flag}: '${modelPath}' is not an ONNX model: ${(e as Error).message}`);
  }
  if (meta.env !== undefined && meta.env !== config.env) {
    throw new ConfigError(
      `${flag}: '${modelPath}' was exported for env '${meta.env}', but the run trains on ` +
        `'${config.env}'`,
    );
  }
  const modelDeterministic = meta.deterministic === "true";
  let model = modelPath;
  if (options.stochastic && modelDeterministic) {
    throw new ConfigError(
      `--stochastic: '${modelPath}' is a deterministic export (no noise input); evaluate ` +
        `${RUN_FILES.onnx} or drop --stochastic`,
    );
  }
  const zeroNoise = !options.stochastic && !modelDeterministic;
  if (zeroNoise) model = `${modelPath}, zero noise`;
  const seed = options.seed ?? evalSeed(config.seed);
  const actor = await OnnxActor.create(bytes, {
    device: options.device,
    seed,
    onWarning: (line) => console.error(line),
  });
  try {
    const probe = registry.env(config.env).create(config.envParams);
    const obsDim = probe.observationSpace.low.length;
    const actDim = probe.actionSpace.low.length;
    probe.close?.();
    if (actor.obsDim !== obsDim || actor.actDim !== actDim) {
      throw new ConfigError(
        `${flag}: '${modelPath}' maps obs_dim ${actor.obsDim} to act_dim ${actor.actDim}, but ` +
          `${config.env} has ${obsDim} and ${actDim}`,
      );
    }
    const result = await evaluatePolicy(
      null,
      () => registry.env(config.env).create(config.envParams),
      {
        episodes: options.episodes,
        seed,
        deterministic: !options.stochastic,
        act: (obs) => actor.act(obs, { zeroNoise }),
      },
    );
    const envSteps = Number(meta.env_steps);
    return {
      result,
      envSteps,
      extra: { model, device: actor.device },
      label: `${config.algo} on ${config.env} after ${envSteps} steps (ONNX model: ${model}; ` +
        `device ${actor.device})`,
    };
  } finally {
    await actor.release();
  }
}

await runMain(async () => {
  const args = parseFlags(Deno.args, FLAGS);
  if (args.values.help) {
    console.log(usage("deno task eval RUN_DIR [flags]", FLAGS));
    return 0;
  }
  if (args.positional.length !== 1) {
    throw new ConfigError("RUN_DIR: give exactly one run folder, e.g. deno task eval runs/my-run");
  }
  const episodes = (args.values.episodes as number | undefined) ?? 10;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new ConfigError(`--episodes: expected an integer >= 1, got ${episodes}`);
  }
  const device = (args.values.device as string | undefined) ?? "cpu";
  if (!ONNX_DEVICES.includes(device as OnnxDevice)) {
    throw new ConfigError(
      `--device: expected one of ${ONNX_DEVICES.join(", ")}, got '${device}'`,
    );
  }
  const onnx = Boolean(args.values.onnx) || args.values.model !== undefined;
  if (!onnx && args.values.device !== undefined) {
    throw new ConfigError(
      "--device: applies to --onnx only (the TensorFlow.js policy runs on --backend)",
    );
  }
  const store = RunStore.open(args.positional[0], "runDir");
  const rawConfig = store.readConfig();
  const registry = await registryFor(rawConfig);
  const backend = (args.values.backend as string | undefined) ??
    (rawConfig.backend as string | undefined) ?? RUN_SCHEMA.backend.default;
  const stochastic = Boolean(args.values.stochastic);
  const common = { episodes, seed: args.values.seed as number | undefined, stochastic };
  const { result, envSteps, extra, label } = onnx
    ? await evaluateOnnx(store, registry, {
      ...common,
      model: args.values.model as string | undefined,
      device: device as OnnxDevice,
    })
    : await evaluateRunPolicy(store, registry, backend, common);
  if (args.values.json) {
    console.log(JSON.stringify({ run: store.dir, envSteps, ...extra, ...result }));
  } else {
    console.log(
      `${label}: return ${result.mean.toFixed(2)} ± ${result.std.toFixed(2)} over ${episodes} ` +
        `episodes (${stochastic ? "stochastic" : "deterministic"}, mean length ${
          result.meanLength.toFixed(1)
        })`,
    );
  }
  const video = args.values.record as string | undefined;
  if (video !== undefined) {
    const rec = await recordVideo(store.dir, { ...common, out: video });
    console.log(`wrote ${video}: ${rec.frames} frames ${rec.width}x${rec.height}`);
  }
  return 0;
});
