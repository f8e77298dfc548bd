/**
 * `deno task export RUN_DIR [--out FILE] [--deterministic]`: exports a run's trained policy
 * (policy.bin) as an ONNX model and prints its path, inputs, output and opset.
 */
import { existsSync } from "node:fs";
import {
  ConfigError,
  exportRunOnnx,
  RUN_FILES,
  RunStore,
  writeFileAtomicSync,
} from "../core/mod.ts";
import { readModelMetadata, useBackend } from "../core/tensor/mod.ts";
import { type FlagSpec, parseFlags, registryFor, runMain, usage } from "./cli.ts";

const FLAGS: Record<string, FlagSpec> = {
  "--out": {
    key: "out",
    kind: "string",
    help: "model file (default RUN_DIR/policy.onnx, or policy.deterministic.onnx)",
  },
  "--deterministic": {
    key: "deterministic",
    kind: "boolean",
    help: "no noise input: mean action / zero-noise diffusion chain",
  },
  "--force": {
    key: "force",
    kind: "boolean",
    help: "overwrite an existing --out file (the run's own exports are always replaced)",
  },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

/** Default model file name of a deterministic export inside the run folder. */
const DETERMINISTIC_ONNX = "policy.deterministic.onnx";

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

await runMain(async () => {
  const args = parseFlags(Deno.args, FLAGS);
  if (args.values.help) {
    console.log(usage("deno task export RUN_DIR [flags]", FLAGS));
    console.log(
      "\nInputs: obs [batch, obs_dim] (raw observations) and, unless --deterministic,\n" +
        "noise [batch, noise_steps, act_dim] (standard normal); output: action [batch, act_dim]\n" +
        "inside the env's action Box. Run it with onnxruntime (examples/node_deploy/).",
    );
    return 0;
  }
  if (args.positional.length !== 1) {
    throw new ConfigError(
      "RUN_DIR: give exactly one run folder, e.g. deno task export runs/my-run",
    );
  }
  const deterministic = Boolean(args.values.deterministic);
  const store = RunStore.open(args.positional[0], "runDir");
  const out = (args.values.out as string | undefined) ??
    store.path(deterministic ? DETERMINISTIC_ONNX : RUN_FILES.onnx);
  if (isDirectory(out)) throw new ConfigError(`--out: '${out}' is a folder; give a file path`);
  if (args.values.out !== undefined && !args.values.force && existsSync(out)) {
    throw new ConfigError(`--out: '${out}' exists; give another path or --force to replace it`);
  }
  const parent = out.includes("/") ? out.slice(0, out.lastIndexOf("/")) || "/" : ".";
  if (!isDirectory(parent)) {
    throw new ConfigError(`--out: folder '${parent}' does not exist`);
  }
  const rawConfig = store.readConfig();
  const registry = await registryFor(rawConfig);
  // Export only reads the weights: the pure-JS backend is always available.
  await useBackend("cpu");
  const bytes = exportRunOnnx(store, registry, { deterministic });
  try {
    writeFileAtomicSync(out, bytes);
  } catch (e) {
    throw new ConfigError(`--out: cannot write '${out}': ${(e as Error).message}`);
  }

  const meta = readModelMetadata(bytes);
  const inputs = [`obs [batch, ${meta.obs_dim}]`];
  if (meta.deterministic !== "true") {
    inputs.push(`noise [batch, ${meta.noise_steps}, ${meta.act_dim}]`);
  }
  console.log(`wrote ${out} (${bytes.length} bytes)`);
  console.log(
    `${meta.policy_kind} policy of ${meta.algorithm} on ${meta.env} after ${meta.env_steps} ` +
      `steps, ${deterministic ? "deterministic" : "stochastic"}`,
  );
  console.log(`inputs: ${inputs.join(", ")}`);
  console.log(
    `output: action [batch, ${meta.act_dim}] in [${JSON.parse(meta.action_low).join(", ")}]` +
      `..[${JSON.parse(meta.action_high).join(", ")}]`,
  );
  console.log(`opset: ${meta.opset} (ai.onnx), IR version ${meta.ir_version}`);
  return 0;
});
