/**
 * Shared command-line plumbing: flag parsing with clear errors, plugin loading, the progress
 * display, and the error-to-exit-code convention (2 for bad input, 1 for crashes).
 */
import {
  BACKENDS,
  ConfigError,
  loadPluginModule,
  type MetricsRow,
  prepareConfigEnv,
  type Progress,
  type RawConfig,
  type Registry,
  RUN_SCHEMA,
  RunFailedError,
} from "../core/mod.ts";
import { didYouMean } from "../core/suggest.ts";
import { builtinRegistry } from "../plugins/builtin.ts";

/** How a flag's value is read. */
export type FlagKind = "string" | "int" | "number" | "boolean" | "list";

/** A flag: config key it sets and its kind. */
export interface FlagSpec {
  key: string;
  kind: FlagKind;
  help: string;
}

/** Parsed command line: flag values by key, plus positional arguments. */
export interface ParsedArgs {
  values: Record<string, unknown>;
  positional: string[];
  /** Flags as the user typed them, for messages. */
  given: string[];
}

/** Parses `args` against `flags` (`--name value`, `--name=value`, booleans bare). */
export function parseFlags(args: string[], flags: Record<string, FlagSpec>): ParsedArgs {
  const values: Record<string, unknown> = {};
  const positional: string[] = [];
  const given: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = flags[name];
    if (!spec) {
      throw new ConfigError(
        `unknown flag '${name}'${didYouMean(name, Object.keys(flags))}; ` +
          `allowed: ${Object.keys(flags).join(", ")}`,
      );
    }
    given.push(name);
    if (spec.kind === "boolean") {
      if (eq >= 0) {
        const v = arg.slice(eq + 1);
        if (v !== "true" && v !== "false") {
          throw new ConfigError(`${name}: expected true or false, got '${v}'`);
        }
        values[spec.key] = v === "true";
      } else values[spec.key] = true;
      continue;
    }
    const text = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (text === undefined) throw new ConfigError(`${name}: missing value`);
    if (spec.kind === "int" || spec.kind === "number") {
      const n = Number(text);
      if (
        text.trim() === "" || !Number.isFinite(n) || (spec.kind === "int" && !Number.isInteger(n))
      ) {
        throw new ConfigError(
          `${name}: expected ${spec.kind === "int" ? "an integer" : "a number"}, got '${text}'`,
        );
      }
      values[spec.key] = n;
    } else if (spec.kind === "list") {
      values[spec.key] = [...(values[spec.key] as string[] ?? []), text];
    } else {
      values[spec.key] = text;
    }
  }
  return { values, positional, given };
}

/** Usage text for a flag table. */
export function usage(command: string, flags: Record<string, FlagSpec>): string {
  const lines = [`usage: ${command}`, "", "flags:"];
  for (const [name, spec] of Object.entries(flags)) {
    const arg = spec.kind === "boolean" ? "" : ` <${spec.kind === "list" ? "path" : spec.kind}>`;
    lines.push(`  ${(name + arg).padEnd(26)} ${spec.help}`);
  }
  return lines.join("\n");
}

/** The built-in registry plus the plugins at `paths`. */
export async function registryWith(paths: string[]): Promise<Registry> {
  const registry = builtinRegistry();
  for (const path of paths) registry.register(await loadPluginModule(path), path);
  return registry;
}

/**
 * The registry a raw run config needs (built-ins plus its plugins), with the env it names
 * prepared (e.g. the MuJoCo engine loaded) so that it can be built.
 */
export async function registryFor(raw: RawConfig): Promise<Registry> {
  const registry = await registryWith((raw.plugins as string[] | undefined) ?? []);
  await prepareConfigEnv(raw, registry);
  return registry;
}

/** `--backend`'s help line, from the backends the core knows and the run config's default. */
export const BACKEND_HELP = `${BACKENDS.join(" | ")} (default ${RUN_SCHEMA.backend.default})`;

/**
 * Makes plugin paths absolute (relative ones from `base`, the current folder by default) so a
 * resumed or evaluated run finds them from any folder.
 */
export function absolutePluginPaths(paths: string[], base: string = Deno.cwd()): string[] {
  return paths.map((p) => (/^[a-z]+:\/\//.test(p) || p.startsWith("/") ? p : `${base}/${p}`));
}

/** The absolute folder holding `file` (the current folder when there is no file). */
export function dirOf(file: unknown): string {
  if (typeof file !== "string") return Deno.cwd();
  const absolute = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
  return absolute.slice(0, absolute.lastIndexOf("/"));
}

/** Seconds as `m:ss` or `h:mm:ss` (`--:--` when not finite). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/**
 * A return for display: one decimal, or three when it is small (DoubleWell's rewards are at
 * most 1), "n/a" when there is none yet.
 */
export function formatReturn(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  return Math.abs(x) < 10 ? x.toFixed(3) : x.toFixed(1);
}

/** Columns of the terminal (80 when there is none). */
export function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/** The widest progress line: one less than an 80-column terminal, so it never wraps. */
export const PROGRESS_WIDTH = 79;

/**
 * A one-line progress bar redrawn in place on a terminal, at most `width` characters (at most
 * {@link PROGRESS_WIDTH}): on narrow terminals the bar shrinks, then the eval, speed and return
 * fields go, in that order. Steps past the total (a PPO rollout that overshoots) show as the
 * total: the line never reads past 100%.
 */
export function progressBar(p: Progress, width: number = PROGRESS_WIDTH): string {
  const limit = Math.max(20, Math.min(PROGRESS_WIDTH, Math.floor(width)));
  const steps = Math.min(p.envSteps, p.totalSteps);
  const frac = p.totalSteps > 0 ? steps / p.totalSteps : 1;
  const count = `${steps}/${p.totalSteps} ${Math.floor(frac * 100)}%`;
  const optional = [
    `ret ${formatReturn(p.recentReturn)}`,
    `${p.stepsPerSecond.toFixed(0)}/s`,
    `eval ${formatReturn(p.lastEvalReturn)}`,
  ];
  const eta = `ETA ${formatDuration(p.etaSeconds)}`;
  for (let keep = optional.length; keep >= 0; keep--) {
    const text = [count, ...optional.slice(0, keep), eta].join(" ");
    const barWidth = Math.min(20, limit - text.length - 3);
    if (barWidth >= 5 || keep === 0) {
      if (barWidth < 3) return text.slice(0, limit);
      const filled = Math.round(frac * barWidth);
      return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${text}`;
    }
  }
  return count;
}

/** A log line for one metrics row. */
export function rowLine(row: MetricsRow): string {
  const parts = [`step ${row.step}`, `return ${formatReturn(row["train/return_mean"])}`];
  if ("eval/return_mean" in row) {
    parts.push(
      `eval ${formatReturn(row["eval/return_mean"])} ± ${formatReturn(row["eval/return_std"])}`,
    );
  }
  parts.push(`${formatDuration(row.time_s)} elapsed`);
  return parts.join(" | ");
}

/**
 * The kernel names the field an error is about (`resume: ...`, `runDir: ...`); the command
 * line names the flag or argument the user typed.
 */
const FLAG_OF_FIELD: Record<string, string> = {
  config: "--config",
  plugins: "--plugin",
  resume: "--resume",
  runDir: "RUN_DIR",
  runFolder: "run folder",
};

/** A kernel error message in the command line's words (its leading field as the flag). */
export function inFlagWords(message: string): string {
  return message.replace(/^(\w+)(:| )/, (whole, field: string, sep: string) => {
    const flag = FLAG_OF_FIELD[field];
    return flag === undefined ? whole : `${flag}${sep}`;
  });
}

/**
 * Runs a script body: a {@link ConfigError} (bad input) prints `error: message` and exits 2; a
 * {@link RunFailedError} (a run that could not go on) prints `error: message` and exits 1; any
 * other error prints its stack and exits 1. `DMERL_DEBUG=1` adds the stack of a run failure's
 * cause.
 */
export async function runMain(body: () => Promise<number | void>): Promise<never> {
  try {
    const code = await body();
    Deno.exit(code ?? 0);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`error: ${inFlagWords(e.message)}`);
      Deno.exit(2);
    }
    if (e instanceof RunFailedError) {
      console.error(`error: ${e.message}`);
      if (Deno.env.get("DMERL_DEBUG") && e.cause) console.error(e.cause);
      Deno.exit(1);
    }
    console.error(e);
    Deno.exit(1);
  }
}

/** Config keys that hold an object of parameters (`--set algoParams.gamma=0.98`). */
const PARAM_KEYS = ["algoParams", "policyParams", "envParams"];

/** `--set`'s help line. */
export const SET_HELP = "PATH=VALUE override, e.g. algoParams.gamma=0.98 (repeatable)";

/**
 * Parses `--set PATH=VALUE` flags into a config block: PATH is a run config key from
 * `allowed` (`steps`) or a parameter inside one of the params objects (`algoParams.gamma`);
 * VALUE is read as JSON (numbers, booleans, arrays like `[64,64]`) and otherwise taken as a
 * string. The values are validated later with the rest of the config.
 */
export function parseSets(sets: string[], allowed: readonly string[]): RawConfig {
  const block: Record<string, unknown> = {};
  for (const item of sets) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new ConfigError(`--set: expected PATH=VALUE, got '${item}'`);
    const path = item.slice(0, eq).split(".");
    const text = item.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    const [key, ...rest] = path;
    if (!allowed.includes(key)) {
      throw new ConfigError(
        `--set: unknown key '${key}'${didYouMean(key, allowed)}; allowed: ${allowed.join(", ")}`,
      );
    }
    if (PARAM_KEYS.includes(key)) {
      if (rest.length !== 1 || rest[0] === "") {
        throw new ConfigError(`--set: expected ${key}.NAME=VALUE, got '${item}'`);
      }
      block[key] = { ...(block[key] as object | undefined), [rest[0]]: value };
    } else {
      if (rest.length > 0) throw new ConfigError(`--set: '${key}' has no field '${rest[0]}'`);
      block[key] = value;
    }
  }
  return block;
}

/** `base` with `block` on top; the params objects are merged key by key. */
export function withSets(base: RawConfig, block: RawConfig): RawConfig {
  const out: RawConfig = { ...base };
  for (const [key, value] of Object.entries(block)) {
    out[key] = PARAM_KEYS.includes(key)
      ? { ...(base[key] as object | undefined), ...(value as object) }
      : value;
  }
  return out;
}
