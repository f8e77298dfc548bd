/**
 * Algorithms, plugins and the registry that holds what plugins add. Browser-safe (the viewer
 * bundles the env plugins that import it): loading plugin files lives in plugin_loader.ts.
 */
import type { Env, EnvFactory, EpisodeStat, VecEnv } from "./env.ts";
import type { EnvViewFactory } from "./env_view.ts";
import type { Policy, PolicySpec } from "./policy.ts";
import type { Rng } from "./rng.ts";
import { ConfigError, type Schema, type ValuesOf } from "./schema.ts";
import { didYouMean } from "./suggest.ts";

/** Scalars an iteration reports (losses, temperatures, ...). */
export type Metrics = Record<string, number>;

/** What one {@link Algorithm.iterate} call did. */
export interface IterationResult {
  metrics: Metrics;
  /** Training episodes that finished during the iteration. */
  episodes: EpisodeStat[];
}

/**
 * Everything an algorithm is built from: `Params` are its validated hyper-parameters, `P` the
 * policy class it trains (guaranteed by the registry's `policyKinds` check).
 */
export interface AlgorithmContext<Params, P extends Policy = Policy> {
  env: VecEnv;
  policy: P;
  params: Params;
  /** The algorithm's own generator (exploration noise, minibatch sampling). */
  rng: Rng;
  /** Env steps the run is configured for (for schedules such as learning-rate annealing). */
  totalSteps: number;
  /**
   * Builds another policy of the run's kind and parameters, its weights drawn from `rng`
   * (for example a target actor; copy the online weights in with `loadWeights`). The
   * algorithm owns it and disposes it.
   */
  makePolicy(rng: Rng): P;
}

/** A training algorithm: collects experience through its VecEnv and updates its policy. */
export interface Algorithm {
  readonly policy: Policy;
  /** Env steps taken so far, summed over env copies. */
  readonly envSteps: number;
  /** One unit of work: collect and update (a step for SAC, a rollout for PPO). */
  iterate(): IterationResult;
  /** Everything needed to continue exactly: networks, optimisers, buffers, generators. */
  state(): unknown;
  /** Restores {@link Algorithm.state}'s output. */
  load(state: unknown): void;
  /** Frees tensors. */
  dispose(): void;
}

/** Per-env settings an algorithm ships in files (hyper-parameters tuned for an env). */
export interface Preset {
  numEnvs?: number;
  steps?: number;
  policy?: string;
  algoParams?: Record<string, unknown>;
  policyParams?: Record<string, unknown>;
}

/**
 * How an algorithm is registered; `P` is the policy class its `create` receives (the policies
 * of `policyKinds` must be instances of it).
 */
export interface AlgorithmDefinition<S extends Schema = Schema, P extends Policy = Policy> {
  description: string;
  schema: S;
  /** Policy used when the run config names none. */
  defaultPolicy: string;
  /** Policy kinds (`Policy.kind`) this algorithm can train. */
  policyKinds: string[];
  /** Parameters this algorithm wants for its default policy (presets and config override). */
  policyParams?: Record<string, unknown>;
  /** Env copies when neither preset nor config says. */
  defaultNumEnvs: number;
  /** Presets by env id. */
  presets?: Record<string, Preset>;
  /**
   * What extending a run past its budget does to a schedule that depends on the budget (a
   * learning rate annealed over the run), for these parameters; null when nothing does. The
   * CLI prints it when a run is resumed with more steps.
   */
  extensionNote?(params: ValuesOf<S>): string | null;
  /** Builds the algorithm with validated parameters. */
  create(context: AlgorithmContext<ValuesOf<S>, P>): Algorithm;
}

/** How a policy family is registered. */
export interface PolicyDefinition<S extends Schema = Schema> {
  description: string;
  kind: string;
  schema: S;
  /** Builds the policy with validated parameters and an init generator. */
  create(spec: PolicySpec, params: ValuesOf<S>, rng: Rng): Policy;
}

/** How an env is registered. */
export interface EnvDefinition {
  description: string;
  create: EnvFactory;
  /**
   * The env's parameters (optional): when given, a run's `envParams` are validated against it
   * like algorithm parameters (unknown keys refused, defaults filled) before `create` sees them.
   */
  schema?: Schema;
  /**
   * Loads what `create` needs and cannot load synchronously (e.g. a WebAssembly physics
   * engine); awaited once through {@link Registry.prepareEnv} before the first `create`.
   */
  prepare?: () => Promise<void>;
  /**
   * How the viewer page draws the env (see core/env_view.ts); loaded lazily, so programs that
   * never draw never load drawing libraries.
   */
  view?: () => Promise<EnvViewFactory>;
}

/** A bundle of envs, policies and algorithms. */
export interface Plugin {
  name: string;
  envs?: Record<string, EnvDefinition>;
  policies?: Record<string, PolicyDefinition>;
  algorithms?: Record<string, AlgorithmDefinition>;
}

/**
 * Types an algorithm definition: `create` sees the schema's value types and the policy class
 * `P`. The registry only hands it policies whose `kind` is in `policyKinds`; `create` checks
 * that once more, so a plugin whose kinds and class disagree fails with a clear error instead
 * of a wrong cast.
 */
export function defineAlgorithm<S extends Schema, P extends Policy = Policy>(
  definition: AlgorithmDefinition<S, P>,
): AlgorithmDefinition {
  const create = (context: AlgorithmContext<Record<string, unknown>>): Algorithm => {
    if (!definition.policyKinds.includes(context.policy.kind)) {
      throw new ConfigError(
        `policy: kind '${context.policy.kind}' cannot be trained by this algorithm; ` +
          `it trains ${definition.policyKinds.join(", ")}`,
      );
    }
    // the kind check above is what makes the policy a P
    return definition.create(context as unknown as AlgorithmContext<ValuesOf<S>, P>);
  };
  return { ...definition, create } as unknown as AlgorithmDefinition;
}

/**
 * Types an env definition with a parameter schema: `create` sees the schema's value types
 * (the registry validates `envParams` against the schema before calling it).
 */
export function defineEnv<S extends Schema>(
  definition: Omit<EnvDefinition, "create" | "schema"> & {
    schema: S;
    create: (params: ValuesOf<S>) => Env;
  },
): EnvDefinition {
  return definition as unknown as EnvDefinition;
}

/** Types a policy definition (keeps the schema's value types for `create`). */
export function definePolicy<S extends Schema>(
  definition: PolicyDefinition<S>,
): PolicyDefinition {
  return definition as unknown as PolicyDefinition;
}

/** Checks a plugin's shape and returns it; throws an error naming the plugin and the fault. */
export function definePlugin(plugin: Plugin): Plugin {
  checkPlugin(plugin, "definePlugin");
  return plugin;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Structural check of a plugin value; `source` names where it came from. */
export function checkPlugin(value: unknown, source: string): asserts value is Plugin {
  if (!isRecord(value)) {
    throw new ConfigError(
      `plugin ${source}: expected an object with a 'name', got ${typeof value}`,
    );
  }
  const name = value.name;
  if (typeof name !== "string" || name.length === 0) {
    throw new ConfigError(`plugin ${source}: 'name' must be a non-empty string`);
  }
  const where = `plugin '${name}' (${source})`;
  const known = ["name", "envs", "policies", "algorithms"];
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new ConfigError(`${where}: unknown key '${key}'; allowed: ${known.join(", ")}`);
    }
  }
  const section = (key: string, required: Record<string, string>) => {
    const map = value[key];
    if (map === undefined) return;
    if (!isRecord(map)) throw new ConfigError(`${where}: '${key}' must be an object`);
    for (const [entry, def] of Object.entries(map)) {
      if (!isRecord(def)) throw new ConfigError(`${where}: ${key}.${entry} must be an object`);
      for (const [field, type] of Object.entries(required)) {
        const actual: string = typeof def[field];
        if (actual !== type) {
          throw new ConfigError(`${where}: ${key}.${entry}.${field} must be a ${type}`);
        }
      }
    }
  };
  section("envs", { create: "function", description: "string" });
  for (const [entry, def] of Object.entries((value.envs ?? {}) as Record<string, unknown>)) {
    for (const hook of ["prepare", "view"]) {
      const fn = (def as Record<string, unknown>)[hook];
      if (fn !== undefined && typeof fn !== "function") {
        throw new ConfigError(`${where}: envs.${entry}.${hook} must be a function when given`);
      }
    }
    const schema = (def as Record<string, unknown>).schema;
    if (schema !== undefined && !isRecord(schema)) {
      throw new ConfigError(`${where}: envs.${entry}.schema must be a parameter schema object`);
    }
  }
  section("policies", {
    create: "function",
    kind: "string",
    schema: "object",
    description: "string",
  });
  section("algorithms", {
    create: "function",
    schema: "object",
    defaultPolicy: "string",
    defaultNumEnvs: "number",
    description: "string",
  });
  for (const [entry, def] of Object.entries((value.algorithms ?? {}) as Record<string, unknown>)) {
    const kinds = (def as Record<string, unknown>).policyKinds;
    if (!Array.isArray(kinds) || kinds.length === 0 || !kinds.every((k) => typeof k === "string")) {
      throw new ConfigError(
        `${where}: algorithms.${entry}.policyKinds must be a non-empty array of policy kinds`,
      );
    }
  }
  const entries = ["envs", "policies", "algorithms"].reduce(
    (n, key) => n + (isRecord(value[key]) ? Object.keys(value[key] as object).length : 0),
    0,
  );
  if (entries === 0) {
    throw new ConfigError(
      `${where}: adds nothing; give at least one of envs, policies, algorithms`,
    );
  }
}

/** Registered envs, policies and algorithms, each remembering the plugin that added it. */
export class Registry {
  readonly plugins: Plugin[] = [];
  /** The algorithm and env a run config gets when it names none (none: both required). */
  readonly defaults: { algo?: string; env?: string };
  private readonly envs = new Map<string, { def: EnvDefinition; plugin: string }>();
  private readonly prepared = new Map<string, Promise<void>>();
  private readonly policies = new Map<string, { def: PolicyDefinition; plugin: string }>();
  private readonly algorithms = new Map<string, { def: AlgorithmDefinition; plugin: string }>();

  /** An empty registry; `defaults` name the algorithm and env of a config that names none. */
  constructor(options: { defaults?: { algo?: string; env?: string } } = {}) {
    this.defaults = { ...options.defaults };
  }

  /** Adds a plugin; a name already registered by any plugin is an error. */
  register(plugin: Plugin, source = "built-in"): void {
    checkPlugin(plugin, source);
    if (this.plugins.some((p) => p.name === plugin.name)) {
      throw new ConfigError(`plugin '${plugin.name}' (${source}) is already registered`);
    }
    const sections = [
      ["env", this.envs, plugin.envs],
      ["policy", this.policies, plugin.policies],
      ["algorithm", this.algorithms, plugin.algorithms],
    ] as const;
    // Check every name before inserting any, so a refused plugin leaves no trace.
    for (const [kind, table, entries] of sections) {
      for (const name of Object.keys(entries ?? {})) {
        const existing = table.get(name);
        if (existing) {
          throw new ConfigError(
            `plugin '${plugin.name}': ${kind} '${name}' is already registered by plugin '${existing.plugin}'`,
          );
        }
      }
    }
    for (const [, table, entries] of sections) {
      for (const [name, def] of Object.entries(entries ?? {})) {
        (table as Map<string, { def: unknown; plugin: string }>).set(name, {
          def,
          plugin: plugin.name,
        });
      }
    }
    this.plugins.push(plugin);
  }

  /** The env registered as `id`; unknown ids list the registered ones. */
  env(id: string): EnvDefinition {
    return lookup(this.envs, id, "env");
  }

  /**
   * Runs the env's {@link EnvDefinition.prepare}, if it has one (once; later calls wait on the
   * same promise). Entry points call this before building the env; unknown ids throw as
   * {@link env} does.
   */
  async prepareEnv(id: string): Promise<void> {
    const def = this.env(id);
    if (!def.prepare) return;
    let pending = this.prepared.get(id);
    if (!pending) {
      pending = def.prepare();
      this.prepared.set(id, pending);
    }
    await pending;
  }

  /** The policy registered as `name`. */
  policy(name: string): PolicyDefinition {
    return lookup(this.policies, name, "policy");
  }

  /** The algorithm registered as `name`. */
  algorithm(name: string): AlgorithmDefinition {
    return lookup(this.algorithms, name, "algo");
  }

  /** Registered names by kind. */
  names(): { envs: string[]; policies: string[]; algorithms: string[] } {
    return {
      envs: [...this.envs.keys()],
      policies: [...this.policies.keys()],
      algorithms: [...this.algorithms.keys()],
    };
  }
}

function lookup<T>(table: Map<string, { def: T }>, name: string, field: string): T {
  const entry = table.get(name);
  if (!entry) {
    throw new ConfigError(
      `${field}: unknown ${field === "algo" ? "algorithm" : field} '${name}'` +
        `${didYouMean(name, [...table.keys()])}; registered: ${[...table.keys()].join(", ")}`,
    );
  }
  return entry.def;
}
