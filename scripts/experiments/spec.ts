/**
 * Experiment specs: a JSON file naming a grid of algorithms x envs x K values x seeds with a
 * budget and config overrides, validated against the registry, and its expansion into one run
 * config per grid cell.
 */
import {
  checkField,
  ConfigError,
  type Field,
  prepareConfigEnv,
  type RawConfig,
  type Registry,
  resolveConfig,
  type RunConfig,
} from "../../core/mod.ts";
import { registryWith } from "../cli.ts";

/** Run-config keys an override block (`config`, `perEnv.*`, `perAlgo.*`) may set. */
export const OVERRIDE_KEYS: readonly string[] = [
  "algoParams",
  "policyParams",
  "envParams",
  "policy",
  "numEnvs",
  "evalEpisodes",
  "checkpointEvery",
  "logEvery",
  "backend",
];

/** Top-level keys of a spec file. */
export const SPEC_KEYS: readonly string[] = [
  "name",
  "description",
  "algos",
  "envs",
  "K",
  "seeds",
  "budget",
  "evalEvery",
  "evalFraction",
  "config",
  "perEnv",
  "perAlgo",
  "plugins",
];

/** Evaluation frequency when a spec gives neither `evalEvery` nor `evalFraction`. */
export const DEFAULT_EVAL_FRACTION = 0.05;

/** A validated experiment spec. */
export interface ExperimentSpec {
  /** Folder-safe name; the default output folder is `runs/experiments/<name>`. */
  name: string;
  description: string;
  algos: string[];
  envs: string[];
  /** Diffusion steps to sweep (diffusion algorithms only); null runs their default K. */
  K: number[] | null;
  seeds: number[];
  /** Env steps per run. */
  budget: number;
  /** Env steps between evaluations (fixed), or null to use `evalFraction` of the budget. */
  evalEvery: number | null;
  evalFraction: number;
  /** Overrides for every run. */
  config: RawConfig;
  /** Overrides per env id (may also set `budget`), applied after `config`. */
  perEnv: Record<string, RawConfig>;
  /** Overrides per algorithm, applied after `perEnv`. */
  perAlgo: Record<string, RawConfig>;
  /** Plugin module paths (absolute, or relative to the spec file). */
  plugins: string[];
}

/** One grid cell: one training run. */
export interface Cell {
  /** Run folder name: `<algo>-<env>[-K<k>]-s<seed>`. */
  name: string;
  algo: string;
  env: string;
  /** The K the grid sets, or null (vanilla algorithm, or no K sweep). */
  K: number | null;
  seed: number;
  /** Env steps to train. */
  budget: number;
  /** The raw run config handed to `deno task train --config` (without out/name/quiet). */
  raw: RawConfig;
  /** The same config resolved (defaults and presets filled in). */
  resolved: RunConfig;
}

const INT_POSITIVE: Field = { type: "number", integer: true, min: 1, default: 1 };
const INT_SEED: Field = { type: "number", integer: true, min: 0, default: 0 };
const FRACTION: Field = { type: "number", min: 0, exclusiveMin: true, max: 1, default: 0.05 };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringList(value: unknown, field: string, allowed: string[], what: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(`${field}: expected a non-empty array of ${what} names`);
  }
  value.forEach((v, i) => {
    if (typeof v !== "string" || !allowed.includes(v)) {
      throw new ConfigError(
        `${field}[${i}]: unknown ${what} ${JSON.stringify(v)}; registered: ${allowed.join(", ")}`,
      );
    }
  });
  if (new Set(value).size !== value.length) throw new ConfigError(`${field}: duplicate names`);
  return value as string[];
}

function intList(value: unknown, field: string, element: Field): number[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(`${field}: expected a non-empty array of integers`);
  }
  value.forEach((v, i) => checkField(element, v, `${field}[${i}]`));
  if (new Set(value).size !== value.length) throw new ConfigError(`${field}: duplicate values`);
  return value as number[];
}

function overrideBlock(value: unknown, field: string, extra: string[] = []): RawConfig {
  if (!isRecord(value)) throw new ConfigError(`${field}: expected an object`);
  const allowed = [...OVERRIDE_KEYS, ...extra];
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`${field}: unknown key '${key}'; allowed: ${allowed.join(", ")}`);
    }
  }
  for (const key of ["algoParams", "policyParams", "envParams"]) {
    if (key in value && !isRecord(value[key])) {
      throw new ConfigError(`${field}.${key}: expected an object`);
    }
  }
  if ("budget" in value) checkField(INT_POSITIVE, value.budget, `${field}.budget`);
  return value;
}

function overrideMap(value: unknown, field: string, names: string[], extra: string[] = []) {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new ConfigError(`${field}: expected an object keyed by name`);
  const out: Record<string, RawConfig> = {};
  for (const [name, block] of Object.entries(value)) {
    if (!names.includes(name)) {
      throw new ConfigError(
        `${field}: '${name}' is not in the spec's list; expected one of ${names.join(", ")}`,
      );
    }
    out[name] = overrideBlock(block, `${field}.${name}`, extra);
  }
  return out;
}

/**
 * Validates a parsed spec against the registry (algorithm and env names must be registered).
 * `fallbackName` names the spec when it has no `name` (the file's base name). Errors are
 * {@link ConfigError}s naming the field and what it allows.
 */
export function validateSpec(
  input: unknown,
  registry: Registry,
  fallbackName: string,
): ExperimentSpec {
  if (!isRecord(input)) throw new ConfigError("spec: expected a JSON object");
  for (const key of Object.keys(input)) {
    if (!SPEC_KEYS.includes(key)) {
      throw new ConfigError(`unknown key '${key}'; allowed: ${SPEC_KEYS.join(", ")}`);
    }
  }
  const name = input.name ?? fallbackName;
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new ConfigError(
      `name: expected a folder name of letters, digits, '.', '_' or '-', got ${
        JSON.stringify(name)
      }`,
    );
  }
  if (input.description !== undefined && typeof input.description !== "string") {
    throw new ConfigError("description: expected a string");
  }
  const names = registry.names();
  const algos = stringList(input.algos, "algos", names.algorithms, "algorithm");
  const envs = stringList(input.envs, "envs", names.envs, "env");
  const K = input.K === undefined ? null : intList(input.K, "K", INT_POSITIVE);
  const seeds = intList(input.seeds ?? [0], "seeds", INT_SEED);
  if (input.budget === undefined) throw new ConfigError("budget: required (env steps per run)");
  checkField(INT_POSITIVE, input.budget, "budget");
  if (input.evalEvery !== undefined && input.evalFraction !== undefined) {
    throw new ConfigError("evalEvery, evalFraction: give one of them, not both");
  }
  if (input.evalEvery !== undefined) checkField(INT_POSITIVE, input.evalEvery, "evalEvery");
  if (input.evalFraction !== undefined) checkField(FRACTION, input.evalFraction, "evalFraction");
  if (
    input.plugins !== undefined &&
    (!Array.isArray(input.plugins) || !input.plugins.every((p) => typeof p === "string"))
  ) {
    throw new ConfigError("plugins: expected an array of module paths");
  }
  const spec: ExperimentSpec = {
    name,
    description: (input.description as string | undefined) ?? "",
    algos,
    envs,
    K,
    seeds,
    budget: input.budget as number,
    evalEvery: (input.evalEvery as number | undefined) ?? null,
    evalFraction: (input.evalFraction as number | undefined) ?? DEFAULT_EVAL_FRACTION,
    config: input.config === undefined ? {} : overrideBlock(input.config, "config"),
    perEnv: overrideMap(input.perEnv, "perEnv", envs, ["budget"]),
    perAlgo: overrideMap(input.perAlgo, "perAlgo", algos),
    plugins: (input.plugins as string[] | undefined) ?? [],
  };
  if (K) {
    const blocks: [string, RawConfig][] = [
      ["config", spec.config],
      ...Object.entries(spec.perEnv).map(([n, b]) => [`perEnv.${n}`, b] as [string, RawConfig]),
      ...Object.entries(spec.perAlgo).map(([n, b]) => [`perAlgo.${n}`, b] as [string, RawConfig]),
    ];
    for (const [field, block] of blocks) {
      if (isRecord(block.policyParams) && "diffusionSteps" in block.policyParams) {
        throw new ConfigError(
          `${field}.policyParams.diffusionSteps: the grid's K sets it; remove one of the two`,
        );
      }
    }
  }
  return spec;
}

/**
 * Reads a spec file, loads the plugins it names (paths relative to the spec file) into the
 * built-in registry, and validates it (see {@link validateSpec}); errors name the file.
 */
export async function loadSpec(
  path: string,
): Promise<{ spec: ExperimentSpec; registry: Registry }> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    throw new ConfigError(`SPEC: file '${path}' does not exist or cannot be read`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`spec ${path}: not valid JSON (${(e as Error).message})`);
  }
  const base = path.split("/").pop()!.replace(/\.json$/, "");
  try {
    let plugins: string[] = [];
    if (isRecord(parsed) && Array.isArray(parsed.plugins)) {
      const dir = new URL(".", toFileUrl(path));
      plugins = parsed.plugins.map((p) =>
        typeof p === "string" && !/^[a-z]+:\/\//.test(p) && !p.startsWith("/")
          ? new URL(p, dir).pathname
          : p
      );
      parsed.plugins = plugins;
    }
    const registry = await registryWith(plugins.filter((p) => typeof p === "string"));
    return { spec: validateSpec(parsed, registry, base), registry };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`spec ${path}: ${e.message}`);
    throw e;
  }
}

function toFileUrl(path: string): URL {
  return new URL(`file://${path.startsWith("/") ? path : `${Deno.cwd()}/${path}`}`);
}

/** Merges override blocks: later blocks win; the params objects merge key by key. */
export function mergeOverrides(...blocks: RawConfig[]): RawConfig {
  const out: RawConfig = {};
  for (const block of blocks) {
    for (const [key, value] of Object.entries(block)) {
      if (key === "budget") continue;
      out[key] = isRecord(value) && isRecord(out[key])
        ? { ...(out[key] as object), ...value }
        : structuredClone(value);
    }
  }
  return out;
}

/**
 * Env steps between evaluations for a budget. A fixed `evalEvery` was chosen for the spec's
 * budget (`specBudget`), so another budget (`--budget`) rescales it: the same number of
 * evaluations per run.
 */
export function evalEveryFor(
  spec: ExperimentSpec,
  budget: number,
  specBudget: number = budget,
): number {
  if (spec.evalEvery === null) return Math.max(1, Math.round(budget * spec.evalFraction));
  return Math.max(1, Math.round(spec.evalEvery * budget / specBudget));
}

/** A name safe as one folder name. */
function folderSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * Expands a spec into its grid cells, in spec order (algo, env, K, seed). Vanilla algorithms
 * (whose resolved policy has no `diffusionSteps`) run once per env and seed, whatever `K`
 * holds. Each cell's config is resolved against the registry (preparing the envs it needs),
 * so a bad override fails here, naming the cell, before any run starts. `budget` overrides
 * the spec's and every `perEnv` budget; `overrides` (`--set`) go on top of every run's config.
 */
export async function expandGrid(
  spec: ExperimentSpec,
  registry: Registry,
  options: { budget?: number; seeds?: number[]; overrides?: RawConfig } = {},
): Promise<Cell[]> {
  const seeds = options.seeds ?? spec.seeds;
  const cells: Cell[] = [];
  let anyDiffusion = false;
  for (const algo of spec.algos) {
    for (const env of spec.envs) {
      const specBudget = (spec.perEnv[env]?.budget as number | undefined) ?? spec.budget;
      const budget = options.budget ?? specBudget;
      const overrides = mergeOverrides(
        spec.config,
        spec.perEnv[env] ?? {},
        spec.perAlgo[algo] ?? {},
        options.overrides ?? {},
      );
      const base: RawConfig = {
        ...overrides,
        algo,
        env,
        steps: budget,
        evalEvery: evalEveryFor(spec, budget, specBudget),
      };
      if (spec.plugins.length > 0) base.plugins = spec.plugins;
      await prepareConfigEnv(base, registry);
      const probe = resolveIn(base, registry, `${algo} on ${env}`);
      const diffusion = "diffusionSteps" in probe.policyParams;
      anyDiffusion ||= diffusion;
      const ks: (number | null)[] = diffusion && spec.K ? spec.K : [null];
      for (const K of ks) {
        const raw: RawConfig = K === null ? base : {
          ...base,
          policyParams: { ...(base.policyParams as object), diffusionSteps: K },
        };
        const label = `${algo} on ${env}${K === null ? "" : ` with K=${K}`}`;
        const resolved = resolveIn({ ...raw, seed: seeds[0] }, registry, label);
        for (const seed of seeds) {
          const name = folderSafe(`${algo}-${env}${K === null ? "" : `-K${K}`}-s${seed}`);
          cells.push({
            name,
            algo,
            env,
            K,
            seed,
            budget,
            raw: { ...raw, seed },
            resolved: { ...resolved, seed },
          });
        }
      }
    }
  }
  if (spec.K && !anyDiffusion) {
    throw new ConfigError(
      `K: none of the algos (${spec.algos.join(", ")}) uses a diffusion policy; remove K`,
    );
  }
  return cells;
}

function resolveIn(raw: RawConfig, registry: Registry, label: string): RunConfig {
  try {
    return resolveConfig(raw, registry).config;
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${label}: ${e.message}`);
    throw e;
  }
}

/** Parses `--seeds 0,1,2`. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(",").map((s) => Number(s.trim()));
  if (
    seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0) ||
    text.trim() === "" || new Set(seeds).size !== seeds.length
  ) {
    throw new ConfigError(
      `--seeds: expected distinct comma-separated integers >= 0, got '${text}'`,
    );
  }
  return seeds;
}
