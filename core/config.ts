/**
 * Run configuration: the fields a run accepts, and their resolution from defaults, the
 * algorithm's per-env preset, a config file and command-line flags (later wins), validated
 * as a whole before any work starts.
 */
import type { AlgorithmDefinition, PolicyDefinition, Registry } from "./plugin.ts";
import { ConfigError, type Schema, validate, type ValuesOf } from "./schema.ts";
import { didYouMean } from "./suggest.ts";

/**
 * Tensor backends a run may ask for. `wasm-blas` is the wasm backend with its matrix multiply
 * done by a native OpenBLAS (core/tensor/blas.ts); `auto` picks `tensorflow` when tfjs-node is
 * installed, else `wasm-blas` when a BLAS library loads, else `wasm`.
 */
// No webgpu: in Deno the tfjs webgpu backend cannot read a tensor synchronously and a queued
// SAC update at Humanoid sizes took 50-61 ms on an H200 against 13-17 ms for wasm-blas on one core.
export const BACKENDS = ["wasm", "cpu", "tensorflow", "wasm-blas", "auto"] as const;
/** One of {@link BACKENDS}. */
export type BackendName = typeof BACKENDS[number];

/** Scalar run settings. */
export const RUN_SCHEMA = {
  algo: { type: "string", default: "", doc: "registered algorithm (default: the registry's)" },
  env: { type: "string", default: "", doc: "registered env id (default: the registry's)" },
  policy: { type: "string", default: "", doc: "registered policy (empty: the algorithm's)" },
  steps: {
    type: "number",
    integer: true,
    min: 1,
    max: 1e12,
    default: 20000,
    doc: "env steps to train",
  },
  seed: {
    type: "number",
    integer: true,
    min: 0,
    max: 2 ** 32 - 1,
    default: 0,
    doc: "seed of every generator (32 bits)",
  },
  numEnvs: { type: "number", integer: true, min: 1, default: 1, doc: "env copies" },
  backend: {
    type: "string",
    values: BACKENDS,
    default: "auto",
    doc: "TensorFlow.js backend (auto: tensorflow, else wasm-blas, else wasm)",
  },
  out: { type: "string", default: "runs", doc: "folder that receives the run folder" },
  name: { type: "string", default: "", doc: "run folder name (empty: generated)" },
  evalEvery: { type: "number", integer: true, min: 1, default: 5000, doc: "env steps" },
  evalEpisodes: { type: "number", integer: true, min: 1, default: 10, doc: "episodes per eval" },
  checkpointEvery: { type: "number", integer: true, min: 1, default: 10000, doc: "env steps" },
  logEvery: { type: "number", integer: true, min: 1, default: 1000, doc: "env steps per row" },
  quiet: { type: "boolean", default: false, doc: "log lines instead of a progress bar" },
  tensorboard: { type: "boolean", default: true, doc: "write TensorBoard event files too" },
} as const satisfies Schema;

/** A run name is one path segment: no separator, not `.` or `..`, not empty. */
export function checkRunName(name: string): void {
  if (name === "" || name === "." || name === ".." || /[\/\\]/.test(name) || name.includes("\0")) {
    throw new ConfigError(
      `name: '${name}' is not a folder name (one path segment: no '/', '\\', '.' or '..')`,
    );
  }
}

/** Keys holding objects or lists, validated by the registry entries they configure. */
const NESTED_KEYS = ["plugins", "algoParams", "policyParams", "envParams"] as const;

/** Every key a config file or flag set may contain. */
export const CONFIG_KEYS: string[] = [...Object.keys(RUN_SCHEMA), ...NESTED_KEYS];

/** A config as given by the user: any subset of the keys. */
export type RawConfig = Record<string, unknown>;

/** A fully resolved, validated run configuration (what `config.json` holds). */
export interface RunConfig extends ValuesOf<typeof RUN_SCHEMA> {
  plugins: string[];
  algoParams: Record<string, unknown>;
  policyParams: Record<string, unknown>;
  envParams: Record<string, unknown>;
}

/** Checks a raw config's keys and the types of its nested fields. */
export function checkRawConfig(raw: RawConfig, source: string): void {
  for (const key of Object.keys(raw)) {
    if (!CONFIG_KEYS.includes(key)) {
      throw new ConfigError(
        `${source}: unknown key '${key}'${didYouMean(key, CONFIG_KEYS)}; ` +
          `allowed: ${CONFIG_KEYS.join(", ")}`,
      );
    }
  }
  if (raw.plugins !== undefined) {
    if (!Array.isArray(raw.plugins) || !raw.plugins.every((p) => typeof p === "string")) {
      throw new ConfigError(`${source}: plugins: expected an array of module paths or URLs`);
    }
  }
  for (const key of ["algoParams", "policyParams", "envParams"]) {
    const v = raw[key];
    if (v !== undefined && (typeof v !== "object" || v === null || Array.isArray(v))) {
      throw new ConfigError(`${source}: ${key}: expected an object, got ${JSON.stringify(v)}`);
    }
  }
}

/** Reads and checks a JSON config file. */
export function readConfigFile(path: string): RawConfig {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    throw new ConfigError(`config: file '${path}' does not exist or cannot be read`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config: '${path}' is not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`config: '${path}' must hold a JSON object`);
  }
  checkRawConfig(raw as RawConfig, `config ${path}`);
  return raw as RawConfig;
}

/** The registry entries a resolved config names. */
export interface ResolvedRun {
  config: RunConfig;
  algorithm: AlgorithmDefinition;
  policy: PolicyDefinition;
}

/**
 * Awaits the preparation of the env a raw config names (the default env when it names none),
 * e.g. loading the MuJoCo engine; call it before {@link resolveConfig}. Names that are not
 * registered are left for {@link resolveConfig} to report.
 */
export async function prepareConfigEnv(raw: RawConfig, registry: Registry): Promise<void> {
  const env = typeof raw.env === "string" ? raw.env : registry.defaults.env;
  if (env !== undefined && registry.names().envs.includes(env)) await registry.prepareEnv(env);
}

/**
 * Resolves a raw config against a registry (plugins already loaded): fills defaults and the
 * algorithm's preset for the env, validates every field, and checks that the env can be
 * built with its params and that the policy suits the algorithm.
 */
export function resolveConfig(raw: RawConfig, registry: Registry): ResolvedRun {
  checkRawConfig(raw, "config");
  const scalars: Record<string, unknown> = {};
  for (const key of Object.keys(RUN_SCHEMA)) if (Object.hasOwn(raw, key)) scalars[key] = raw[key];
  // the registry's defaults name the algorithm and env when the config does not
  for (const key of ["algo", "env"] as const) {
    if (Object.hasOwn(scalars, key)) continue;
    const fallback = registry.defaults[key];
    if (fallback === undefined) {
      const registered = key === "algo" ? registry.names().algorithms : registry.names().envs;
      throw new ConfigError(`${key}: required; registered: ${registered.join(", ")}`);
    }
    scalars[key] = fallback;
  }
  const base = validate(RUN_SCHEMA, scalars, "");
  const algorithm = registry.algorithm(base.algo);
  const envDef = registry.env(base.env);
  const preset = algorithm.presets?.[base.env] ?? {};
  if (!Object.hasOwn(raw, "steps") && preset.steps) base.steps = preset.steps;
  if (!Object.hasOwn(raw, "numEnvs")) base.numEnvs = preset.numEnvs ?? algorithm.defaultNumEnvs;
  if (base.numEnvs > base.steps) {
    throw new ConfigError(
      `numEnvs: ${base.numEnvs} env copies take more than the ${base.steps} steps of the run ` +
        "in one step; use at most as many copies as steps",
    );
  }
  if (base.name) checkRunName(base.name);
  if (!base.policy) base.policy = preset.policy ?? algorithm.defaultPolicy;
  const policy = registry.policy(base.policy);
  if (!algorithm.policyKinds.includes(policy.kind)) {
    throw new ConfigError(
      `policy: '${base.policy}' (kind ${policy.kind}) cannot be trained by algo '${base.algo}'; ` +
        `it needs a policy of kind ${algorithm.policyKinds.join(" or ")}`,
    );
  }
  const algoParams = validate(
    algorithm.schema,
    { ...preset.algoParams, ...(raw.algoParams as object) },
    "algoParams",
  );
  const policyParams = validate(
    policy.schema,
    {
      ...(base.policy === algorithm.defaultPolicy ? algorithm.policyParams : {}),
      ...preset.policyParams,
      ...(raw.policyParams as object),
    },
    "policyParams",
  );
  const envParams: Record<string, unknown> = envDef.schema
    ? validate(envDef.schema, raw.envParams, "envParams")
    : { ...(raw.envParams as Record<string, unknown> ?? {}) };
  let env;
  try {
    env = envDef.create(envParams);
  } catch (e) {
    const message = (e as Error).message;
    throw new ConfigError(
      e instanceof ConfigError
        ? `${message} (env ${base.env})`
        : `env '${base.env}': could not be built with envParams ${JSON.stringify(envParams)}: ${
          message.split("\n")[0]
        }`,
    );
  }
  env.close?.();
  const config: RunConfig = {
    ...base,
    plugins: (raw.plugins as string[] | undefined) ?? [],
    algoParams,
    policyParams,
    envParams,
  };
  return { config, algorithm, policy };
}
