/**
 * What an experiment does with each grid cell, decided from its run folder: start it, resume
 * a half-finished run from its checkpoint, extend a finished run to a larger budget, or skip
 * it. Also the child process that trains one cell, with its output kept in a log file.
 */
import { RUN_FILES, RunStore } from "../../core/mod.ts";
import type { Cell } from "./spec.ts";

/** What to do with a cell. */
export type Action = "start" | "restart" | "resume" | "extend" | "skip" | "error";

/** A cell and what to do with it, with a one-line reason. */
export interface Plan {
  cell: Cell;
  action: Action;
  detail: string;
}

/** Config fields a run folder must share with its cell to count as that cell's run. */
const IDENTITY_FIELDS = [
  "algo",
  "env",
  "seed",
  "policy",
  "numEnvs",
  "algoParams",
  "policyParams",
  "envParams",
] as const;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The first path where two JSON values differ, or null when they are equal. */
export function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`,
      );
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : path;
}

/**
 * Decides what to do with `cell` from the folder `outDir/cell.name`:
 * - no folder (or an empty one): start;
 * - run.json says finished: skip when it reached the budget, else extend with `--resume`
 *   (an error when its checkpoint was deleted);
 * - a checkpoint but not finished (interrupted, crashed, failed): resume;
 * - a run folder without a checkpoint (stopped before the first one): restart from scratch;
 * - a folder that is not a run, or a run of a different config: error (nothing is deleted).
 */
export function planCell(outDir: string, cell: Cell): Plan {
  const dir = `${outDir}/${cell.name}`;
  if (!exists(dir)) return { cell, action: "start", detail: "new" };
  if (!exists(`${dir}/${RUN_FILES.config}`)) {
    if ([...Deno.readDirSync(dir)].length === 0) {
      return { cell, action: "restart", detail: "empty folder" };
    }
    return {
      cell,
      action: "error",
      detail: `'${dir}' exists but is not a run folder (no ${RUN_FILES.config}); move it away`,
    };
  }
  const store = RunStore.open(dir, "runFolder");
  let config: Record<string, unknown>;
  try {
    config = store.readConfig();
  } catch (e) {
    return { cell, action: "error", detail: (e as Error).message };
  }
  for (const field of IDENTITY_FIELDS) {
    const diff = firstDifference(config[field], cell.resolved[field], field);
    if (diff) {
      return {
        cell,
        action: "error",
        detail: `'${dir}' holds a run with a different config (${diff} differs from the spec); ` +
          "move it away or use another --out",
      };
    }
  }
  let status = null;
  try {
    status = store.readStatus();
  } catch {
    // unreadable run.json: decided by the checkpoint below
  }
  const hasCheckpoint = store.has(RUN_FILES.checkpoint);
  if (status?.status === "finished") {
    if (status.envSteps >= cell.budget) {
      return { cell, action: "skip", detail: `finished at ${status.envSteps} steps` };
    }
    if (!hasCheckpoint) {
      return {
        cell,
        action: "error",
        detail: `finished at ${status.envSteps} steps and has no ${RUN_FILES.checkpoint} to ` +
          `extend it to ${cell.budget}`,
      };
    }
    return {
      cell,
      action: "extend",
      detail: `finished at ${status.envSteps} steps, extending to ${cell.budget}`,
    };
  }
  if (hasCheckpoint) {
    return {
      cell,
      action: "resume",
      detail: `${status?.status ?? "no run.json"} at ${status?.envSteps ?? "?"} steps`,
    };
  }
  return { cell, action: "restart", detail: "stopped before its first checkpoint" };
}

/** The config file a cell's run starts from: its raw config, placed in `outDir`. */
export function runConfigOf(cell: Cell, outDir: string): Record<string, unknown> {
  return { ...cell.raw, out: outDir, name: cell.name, quiet: true };
}

/** Outcome of one child training process. */
export interface ChildResult {
  code: number;
  seconds: number;
  /** The last lines of its stderr. */
  stderrTail: string;
}

const TAIL_CHARS = 3000;

/**
 * Trains a cell in a child process (`scripts/train.ts`): a new run from `configPath` for
 * start/restart, `--resume` for resume/extend. Its stdout and stderr are appended to
 * `logPath`; `onSpawn` receives the process (to forward an interrupt).
 */
export async function runChild(
  plan: Plan,
  outDir: string,
  paths: { configPath: string; logPath: string },
  onSpawn?: (child: Deno.ChildProcess) => void,
): Promise<ChildResult> {
  const { cell, action } = plan;
  const dir = `${outDir}/${cell.name}`;
  const train = new URL("../train.ts", import.meta.url).pathname;
  let args: string[];
  if (action === "resume" || action === "extend") {
    args = ["run", "-A", train, "--resume", dir, "--steps", String(cell.budget), "--quiet"];
  } else {
    if (action === "restart") Deno.removeSync(dir, { recursive: true });
    const raw = runConfigOf(cell, outDir);
    Deno.writeTextFileSync(paths.configPath, JSON.stringify(raw, null, 2) + "\n");
    args = ["run", "-A", train, "--config", paths.configPath];
  }
  const header = `\n=== ${new Date().toISOString()} ${action}: deno ${args.slice(2).join(" ")}\n`;
  Deno.writeTextFileSync(paths.logPath, header, { append: true });
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  onSpawn?.(child);
  let stderrTail = "";
  const pump = async (stream: ReadableStream<Uint8Array>, keep: boolean) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      await Deno.writeFile(paths.logPath, chunk, { append: true });
      if (keep) {
        stderrTail = (stderrTail + decoder.decode(chunk, { stream: true })).slice(-TAIL_CHARS);
      }
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, false),
    pump(child.stderr, true),
  ]);
  return { code: status.code, seconds: (performance.now() - start) / 1000, stderrTail };
}

/** Env steps a run folder has logged so far (its last metrics row), or 0. */
export function loggedSteps(dir: string): number {
  try {
    const text = Deno.readTextFileSync(`${dir}/${RUN_FILES.metrics}`).trimEnd();
    const last = text.slice(text.lastIndexOf("\n") + 1);
    return JSON.parse(last).step ?? 0;
  } catch {
    return 0;
  }
}
