/**
 * Per-run figures read back from run folders (config.json, run.json, metrics.jsonl): what the
 * experiment summary and the report tabulate. Works on finished, partial and missing runs.
 */
import { existsSync } from "node:fs";
import { RUN_FILES, type RunStatus, RunStore } from "../../core/mod.ts";

/** Where a run stands: run.json's status, `missing` (no folder) or `unknown` (no run.json). */
export type RunState = RunStatus["status"] | "missing" | "unknown";

/** One evaluation point of a run. */
export interface EvalPoint {
  step: number;
  mean: number;
  std: number;
}

/** The figures of one run. */
export interface RunRecord {
  /** Run folder name. */
  run: string;
  algo: string;
  env: string;
  /** Diffusion steps of the run's policy, null for a policy without them. */
  K: number | null;
  seed: number;
  status: RunState;
  /** Env steps the run was configured for. */
  budget: number | null;
  /** Last evaluation return (mean over its episodes), null before the first evaluation. */
  finalEval: number | null;
  finalEvalStd: number | null;
  /** Best evaluation return over the run. */
  bestEval: number | null;
  /** Env steps reached. */
  envSteps: number;
  /** Training wall-clock seconds (summed over resumes), from the last metrics row. */
  wallClockS: number | null;
  stepsPerS: number | null;
  /** Every evaluation, in step order. */
  curve: EvalPoint[];
}

function finite(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/** True when `dir` is a run folder (has config.json). */
export function isRunFolder(dir: string): boolean {
  return existsSync(`${dir}/${RUN_FILES.config}`);
}

/** Reads one run folder's figures. */
export function readRunRecord(dir: string): RunRecord {
  const store = RunStore.open(dir, "runDir");
  const config = store.readConfig();
  let status: RunStatus | null = null;
  try {
    status = store.readStatus();
  } catch {
    // a torn run.json reads as unknown
  }
  const rows = store.readMetrics();
  const curve: EvalPoint[] = [];
  for (const row of rows) {
    const mean = row["eval/return_mean"];
    if (finite(mean)) curve.push({ step: row.step, mean, std: row["eval/return_std"] ?? 0 });
  }
  const last = rows[rows.length - 1];
  const wallClockS = last && finite(last.time_s) ? last.time_s : null;
  const envSteps = status?.envSteps ?? last?.step ?? 0;
  const policyParams = (config.policyParams ?? {}) as Record<string, unknown>;
  const final = curve[curve.length - 1];
  return {
    run: store.dir.split("/").pop()!,
    algo: String(config.algo),
    env: String(config.env),
    K: finite(policyParams.diffusionSteps) ? policyParams.diffusionSteps : null,
    seed: Number(config.seed),
    status: status?.status ?? "unknown",
    budget: finite(config.steps) ? config.steps : null,
    finalEval: final?.mean ?? null,
    finalEvalStd: final?.std ?? null,
    bestEval: curve.length ? Math.max(...curve.map((p) => p.mean)) : null,
    envSteps,
    wallClockS,
    stepsPerS: wallClockS && last.step > 0 ? last.step / wallClockS : null,
    curve,
  };
}

/** A placeholder record for a grid cell whose run folder does not exist. */
export function missingRecord(
  cell: { name: string; algo: string; env: string; K: number | null; seed: number; budget: number },
): RunRecord {
  return {
    run: cell.name,
    algo: cell.algo,
    env: cell.env,
    K: cell.K,
    seed: cell.seed,
    status: "missing",
    budget: cell.budget,
    finalEval: null,
    finalEvalStd: null,
    bestEval: null,
    envSteps: 0,
    wallClockS: null,
    stepsPerS: null,
    curve: [],
  };
}

/** Records of every run folder directly inside `dir`, by folder name. */
export function findRuns(dir: string): RunRecord[] {
  const names = [...Deno.readDirSync(dir)]
    .filter((e) => e.isDirectory && isRunFolder(`${dir}/${e.name}`))
    .map((e) => e.name)
    .sort();
  return names.map((name) => readRunRecord(`${dir}/${name}`));
}

/** Columns of summary.csv, in order. */
export const SUMMARY_COLUMNS = [
  "run",
  "algo",
  "env",
  "K",
  "seed",
  "status",
  "final_eval_return",
  "best_eval_return",
  "env_steps",
  "wall_clock_s",
  "steps_per_s",
] as const;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** summary.csv text: one line per record. */
export function summaryCsv(records: RunRecord[]): string {
  const lines = [SUMMARY_COLUMNS.join(",")];
  for (const r of records) {
    lines.push(
      [
        r.run,
        r.algo,
        r.env,
        r.K,
        r.seed,
        r.status,
        r.finalEval,
        r.bestEval,
        r.envSteps,
        r.wallClockS,
        r.stepsPerS === null ? null : Number(r.stepsPerS.toFixed(2)),
      ].map(csvCell).join(","),
    );
  }
  return lines.join("\n") + "\n";
}

/** summary.json contents: the records without their curves. */
export function summaryJson(
  meta: Record<string, unknown>,
  records: RunRecord[],
): Record<string, unknown> {
  return {
    ...meta,
    runs: records.map(({ curve: _curve, ...rest }) => rest),
  };
}
