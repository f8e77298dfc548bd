/**
 * `deno task train`: trains a registered algorithm on a registered env from flags and/or a
 * config file, or continues a run with `--resume RUN_DIR`.
 */
import { CONFIG_KEYS } from "../core/config.ts";
import {
  BACKENDS,
  ConfigError,
  type RawConfig,
  readConfigFile,
  resolveConfig,
  RUN_FILES,
  RunStore,
  train,
} from "../core/mod.ts";
import { useBackend } from "../core/tensor/mod.ts";
import {
  absolutePluginPaths,
  BACKEND_HELP,
  dirOf,
  type FlagSpec,
  parseFlags,
  parseSets,
  progressBar,
  registryFor,
  registryWith,
  rowLine,
  runMain,
  SET_HELP,
  terminalColumns,
  usage,
  withSets,
} from "./cli.ts";
import { algorithmHelp } from "./catalog.ts";
import { writeRunCurve } from "./experiments/curves.ts";

const FLAGS: Record<string, FlagSpec> = {
  "--algo": { key: "algo", kind: "string", help: "algorithm (default sac)" },
  "--env": { key: "env", kind: "string", help: "env id (default Pendulum-v1)" },
  "--policy": { key: "policy", kind: "string", help: "policy (default: the algorithm's)" },
  "--steps": { key: "steps", kind: "int", help: "env steps to train" },
  "--seed": { key: "seed", kind: "int", help: "seed (default 0)" },
  "--num-envs": { key: "numEnvs", kind: "int", help: "parallel env copies" },
  "--backend": {
    key: "backend",
    kind: "string",
    help: BACKEND_HELP,
  },
  "--out": { key: "out", kind: "string", help: "parent folder of the run (default runs)" },
  "--name": { key: "name", kind: "string", help: "run folder name" },
  "--eval-every": { key: "evalEvery", kind: "int", help: "env steps between evaluations" },
  "--eval-episodes": { key: "evalEpisodes", kind: "int", help: "episodes per evaluation" },
  "--checkpoint-every": { key: "checkpointEvery", kind: "int", help: "env steps" },
  "--log-every": { key: "logEvery", kind: "int", help: "env steps between metrics rows" },
  "--config": { key: "config", kind: "string", help: "JSON config file (flags override it)" },
  "--plugin": { key: "plugins", kind: "list", help: "plugin module path or URL (repeatable)" },
  "--set": { key: "set", kind: "list", help: SET_HELP },
  "--resume": { key: "resume", kind: "string", help: "continue the run in this folder" },
  "--tensorboard": {
    key: "tensorboard",
    kind: "boolean",
    help: "TensorBoard event files in the run folder (default; --tensorboard=false: none)",
  },
  "--quiet": { key: "quiet", kind: "boolean", help: "log lines instead of a progress bar" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

/** Signals that stop a run with a checkpoint (Windows only knows Ctrl-C). */
const STOP_SIGNALS: Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];

/** Flags that may accompany --resume (everything else is fixed by the run's config). */
const RESUME_FLAGS = ["--resume", "--steps", "--quiet", "--backend"];

/** Where the run's results are, one line each (files that were not written are left out). */
function runFileLines(runDir: string, curve: string | null): string[] {
  const store = RunStore.open(runDir);
  const lines = [`run folder: ${runDir}`];
  if (curve) lines.push(`learning curve: ${curve}`);
  lines.push(`metrics: ${store.path(RUN_FILES.metricsCsv)}`);
  if (store.has(RUN_FILES.onnx)) lines.push(`ONNX model: ${store.path(RUN_FILES.onnx)}`);
  return lines;
}

await runMain(async () => {
  const args = parseFlags(Deno.args, FLAGS);
  if (args.values.help) {
    console.log(usage("deno task train [flags]", FLAGS));
    if (typeof args.values.algo === "string") {
      const registry = await registryWith((args.values.plugins as string[] | undefined) ?? []);
      console.log(`\n${algorithmHelp(registry, args.values.algo)}`);
    } else console.log("\nparameters of an algorithm: deno task train --algo NAME --help");
    return 0;
  }
  if (args.positional.length > 0) {
    throw new ConfigError(`unexpected argument '${args.positional[0]}' (flags start with --)`);
  }
  const { config: configPath, resume, help: _help, set, ...flagValues } = args.values;
  let raw: RawConfig;
  /** The budget a resumed run had, when --steps extends it. */
  let extendedFrom: number | null = null;
  if (typeof resume === "string") {
    const extra = args.given.filter((f) => !RESUME_FLAGS.includes(f));
    if (extra.length > 0) {
      throw new ConfigError(
        `${extra[0]}: cannot be changed when resuming; allowed with --resume: ${
          RESUME_FLAGS.slice(1).join(", ")
        }`,
      );
    }
    const stored = RunStore.open(resume).readConfig();
    raw = { ...stored, ...flagValues };
    extendedFrom = typeof stored.steps === "number" && typeof raw.steps === "number" &&
        raw.steps > stored.steps
      ? stored.steps
      : null;
  } else {
    const fromFile = typeof configPath === "string" ? readConfigFile(configPath) : {};
    raw = withSets({ ...fromFile, ...flagValues }, parseSets((set as string[]) ?? [], CONFIG_KEYS));
    // a config file's plugin paths are relative to the file, --plugin's to the current folder
    const plugins = [
      ...absolutePluginPaths((fromFile.plugins as string[] | undefined) ?? [], dirOf(configPath)),
      ...absolutePluginPaths((flagValues.plugins as string[] | undefined) ?? []),
    ];
    if (plugins.length > 0) raw.plugins = plugins;
  }
  const registry = await registryFor(raw);
  const resolved = resolveConfig(raw, registry);
  const { config } = resolved;
  let backend: string;
  try {
    backend = await useBackend(config.backend);
  } catch (e) {
    if (typeof resume === "string" && !args.given.includes("--backend")) {
      throw new ConfigError(
        `${(e as Error).message}; this run was trained on '${config.backend}' and resumes on ` +
          "it so that its numbers continue exactly (resume with --backend NAME to continue on " +
          "another, with other numbers)",
      );
    }
    throw e;
  }
  const note = resolved.algorithm.extensionNote?.(config.algoParams);
  const extension = extendedFrom === null
    ? null
    : `extending the run from ${extendedFrom} to ${config.steps} steps` + (note ? `; ${note}` : "");
  // the config records the backend that ran (not `auto`), so a resume runs on the same one
  if ((BACKENDS as readonly string[]).includes(backend)) {
    config.backend = backend as typeof config.backend;
  }

  // Ctrl-C, a scheduler's stop or pre-emption (SIGTERM) and a closed terminal (SIGHUP) all
  // end the run with a checkpoint, so that --resume continues it exactly.
  const controller = new AbortController();
  let interrupts = 0;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      interrupts++;
      if (interrupts > 1) {
        console.error(`\nsecond ${signal}: exiting now (the last checkpoint is intact)`);
        Deno.exit(130);
      }
      console.error(`\n${signal}: saving a checkpoint (Ctrl-C again to exit at once)`);
      controller.abort();
    };
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });

  const live = !config.quiet && Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const result = await train(resolved, {
    onStart: ({ runDir, envSteps }) => {
      console.error(
        `${resume ? `resuming at step ${envSteps}:` : "training"} ${config.algo} on ${config.env}` +
          ` for ${config.steps} steps, seed ${config.seed}, ${config.numEnvs} env(s), ` +
          `backend ${backend}, run folder ${runDir}`,
      );
      if (extension) console.error(extension);
    },
    registry,
    onWarning: (line) => console.error(`warning: ${line}`),
    resumeDir: typeof resume === "string" ? resume : undefined,
    signal: controller.signal,
    onProgress: live
      ? (p) =>
        Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${progressBar(p, terminalColumns() - 1)}`))
      : undefined,
    onRow: live ? undefined : (row) => console.error(rowLine(row)),
  });
  for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  if (live) console.error("");
  let curve: string | null = null;
  try {
    curve = await writeRunCurve(result.runDir);
  } catch (e) {
    console.error(`warning: could not draw the learning curve: ${(e as Error).message}`);
  }
  const evalText = result.lastEval
    ? `eval return ${result.lastEval.mean} ± ${result.lastEval.std}`
    : "no evaluation yet";
  if (result.status === "interrupted") {
    console.log(
      `interrupted at step ${result.envSteps}; checkpoint saved in ${result.runDir}\n` +
        `continue with: deno task train --resume ${result.runDir}`,
    );
    return 130;
  }
  console.log(
    [`finished ${result.envSteps} steps, ${evalText}`, ...runFileLines(result.runDir, curve)]
      .join("\n") + `\nevaluate with: deno task eval ${result.runDir}`,
  );
  return 0;
});
