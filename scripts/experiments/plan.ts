/**
 * What an experiment does with each grid cell, decided from its run folder: start it, resume
 * a half-finished run from its checkpoint, extend a finished run to a larger budget, or skip
 * it. Also the child process that trains one cell, with its output kept in a log file.
 */
import { existsSync } from "node:fs";
import { RUN_FILES, RunLock, RunStore } from "../../core/mod.ts";
import type { Cell } from "./spec.ts";
import { type ChildResult, runTrainChild } from "../train_child.ts";

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
 * - a folder that is not a run, or a run of a different config: error (nothing is deleted);
 * - a run another live process is training (its `run.lock`): error, so that neither a second
 *   trainer nor a restart touches it.
 */
export function planCell(outDir: string, cell: Cell): Plan {
  const dir = `${outDir}/${cell.name}`;
  if (!existsSync(dir)) return { cell, action: "start", detail: "new" };
  const holder = RunLock.holderOf(dir);
  if (holder) {
    return {
      cell,
      action: "error",
      detail: `'${dir}' is being trained by process ${holder.pid} on ${holder.host} (since ` +
        `${holder.startedAt}); run the experiment again once it has ended`,
    };
  }
  if (!existsSync(`${dir}/${RUN_FILES.config}`)) {
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
  let args: string[];
  if (action === "resume" || action === "extend") {
    args = ["--resume", dir, "--steps", String(cell.budget), "--quiet"];
  } else {
    if (action === "restart") Deno.removeSync(dir, { recursive: true });
    const raw = runConfigOf(cell, outDir);
    Deno.writeTextFileSync(paths.configPath, JSON.stringify(raw, null, 2) + "\n");
    args = ["--config", paths.configPath];
  }
  const header = `\n=== ${new Date().toISOString()} ${action}: deno run -A scripts/train.ts ${
    args.join(" ")
  }\n`;
  Deno.writeTextFileSync(paths.logPath, header, { append: true });
  return await runTrainChild(args, { logPath: paths.logPath, onSpawn });
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
