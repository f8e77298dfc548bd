/**
 * The Slurm executor of `deno task experiment`: submits the grid's unfinished runs as one
 * job array, records the job in grid.json, shows each run's Slurm state beside its own
 * run.json (`--status`, live with `--wait`), and writes the summary as the local executor
 * does. Re-running resumes: finished runs are skipped, the others resumed from their
 * checkpoints, and a grid with tasks still pending or running is not submitted twice.
 */
import { ConfigError } from "../../core/mod.ts";
import { type FlagSpec, formatReturn, type ParsedArgs } from "../cli.ts";
import type { Cell, ExperimentSpec } from "./spec.ts";
import { loggedSteps, type Plan, runConfigOf } from "./plan.ts";
import { type RunRecord, summaryCsv, summaryJson } from "./summary.ts";
import {
  batchScript,
  checkSlurmOptions,
  isActive,
  onPath,
  requireCommands,
  sbatchCommand,
  type SlurmOptions,
  submit,
  type TaskState,
  taskStates,
} from "./slurm.ts";

/** The experiment flags that choose and configure the executor. */
export const EXECUTOR_FLAGS: Record<string, FlagSpec> = {
  "--executor": { key: "executor", kind: "string", help: "local | slurm (default local)" },
  "--partition": { key: "partition", kind: "string", help: "slurm: partition to submit to" },
  "--time": { key: "time", kind: "string", help: "slurm: time limit per run (HH:MM:SS)" },
  "--cpus": { key: "cpus", kind: "int", help: "slurm: CPUs per run (default 1)" },
  "--mem": { key: "mem", kind: "string", help: "slurm: memory per run (4G, 4000M)" },
  "--max-parallel": { key: "maxParallel", kind: "int", help: "slurm: runs at once (%N)" },
  "--sbatch-arg": { key: "sbatchArgs", kind: "list", help: "slurm: extra sbatch option" },
  "--status": { key: "status", kind: "boolean", help: "slurm: each run's state; submit nothing" },
  "--wait": { key: "wait", kind: "boolean", help: "slurm: follow the runs until they end" },
  "--poll": { key: "poll", kind: "number", help: "slurm: seconds between polls (default 10)" },
};

/** Where a grid's runs are executed. */
export type Executor = "local" | "slurm";

const SLURM_ONLY = Object.keys(EXECUTOR_FLAGS).filter((f) => f !== "--executor");

/**
 * The executor the command line asks for; throws a ConfigError for an unknown one, for
 * Slurm's flags without `--executor slurm`, for `--jobs` with it, and when the Slurm
 * commands it needs are not on PATH.
 */
export function executorOf(args: ParsedArgs): Executor {
  const executor = (args.values.executor as string | undefined) ?? "local";
  if (executor !== "local" && executor !== "slurm") {
    throw new ConfigError(`--executor: expected local or slurm, got '${executor}'`);
  }
  if (executor === "local") {
    const flag = args.given.find((f) => SLURM_ONLY.includes(f));
    if (flag) throw new ConfigError(`${flag}: only with --executor slurm`);
  } else {
    if (args.given.includes("--jobs")) {
      throw new ConfigError(
        "--jobs: the local executor's; with --executor slurm use --max-parallel",
      );
    }
    // before anything is read or written: the options, then the commands (a dry run needs
    // no Slurm, --status only squeue)
    slurmOptions(args.values);
    pollSeconds(args.values);
    if (args.values.status) requireCommands(["squeue"]);
    else if (!args.values.dryRun) requireCommands(["sbatch", "squeue"]);
  }
  return executor;
}

/** What the experiment command hands its executor. */
export interface GridContext {
  spec: ExperimentSpec;
  /** The spec file's path. */
  specPath: string;
  /** Every cell of the grid, in grid.json's order. */
  cells: Cell[];
  /** The plans of the cells selected to run (`--only`). */
  plans: Plan[];
  outDir: string;
  dryRun: boolean;
  /** Takes the grid folder's lock (refusing a live holder); returns its path. */
  takeLock(outDir: string): string;
  /** The run records of `cells` in `outDir` (missing ones included). */
  recordsOf(outDir: string, cells: Cell[]): RunRecord[];
}

/** One submission as grid.json records it. */
export interface SlurmJobRecord {
  id: number;
  submittedAt: string;
  /** The batch script as submitted, relative to the grid folder. */
  script: string;
  /** Array task id and the run it trains. */
  tasks: { task: number; run: string }[];
}

const GRID_FILE = "grid.json";
const POLL_DEFAULT_S = 10;
/** Seconds between the progress lines about running runs while waiting. */
const HEARTBEAT_S = 60;

function readGrid(outDir: string): Record<string, unknown> | null {
  try {
    return JSON.parse(Deno.readTextFileSync(`${outDir}/${GRID_FILE}`));
  } catch {
    return null;
  }
}

/** The Slurm jobs grid.json records for the grid in `outDir`, oldest first. */
export function recordedJobs(outDir: string): SlurmJobRecord[] {
  const slurm = readGrid(outDir)?.slurm as { jobs?: SlurmJobRecord[] } | undefined;
  return Array.isArray(slurm?.jobs) ? slurm.jobs : [];
}

/** The latest known Slurm task of each run, by run name. */
function tasksByRun(jobs: SlurmJobRecord[], states: TaskState[]): Map<string, TaskState> {
  const byRun = new Map<string, TaskState>();
  for (const job of jobs) {
    for (const { task, run } of job.tasks) {
      const state = states.find((s) => s.job === job.id && s.task === task);
      if (state) byRun.set(run, state);
    }
  }
  return byRun;
}

async function activeTasks(jobs: SlurmJobRecord[]): Promise<TaskState[]> {
  if (jobs.length === 0) return [];
  return (await taskStates(jobs.map((j) => j.id))).filter((t) => isActive(t.state));
}

function refusal(outDir: string, active: TaskState[]): ConfigError {
  const ids = [...new Set(active.map((t) => t.job))];
  return new ConfigError(
    `--out: the grid in '${outDir}' is already submitted as Slurm job ${ids.join(", ")} with ` +
      `${active.length} task(s) pending or running; follow it with --executor slurm --status ` +
      `--wait, or scancel ${ids.join(" ")} first`,
  );
}

/**
 * Refuses (ConfigError) to run the grid in `outDir` while a Slurm job recorded there still
 * has tasks pending or running: for the local executor, which would train the same runs.
 */
export async function refuseWhileSubmitted(outDir: string): Promise<void> {
  const jobs = recordedJobs(outDir);
  if (jobs.length === 0 || !onPath("squeue")) return;
  const active = await activeTasks(jobs);
  if (active.length > 0) throw refusal(outDir, active);
}

function slurmOptions(values: Record<string, unknown>): SlurmOptions {
  const options: SlurmOptions = {
    partition: values.partition as string | undefined,
    time: values.time as string | undefined,
    cpus: (values.cpus as number | undefined) ?? 1,
    mem: values.mem as string | undefined,
    maxParallel: values.maxParallel as number | undefined,
    sbatchArgs: (values.sbatchArgs as string[] | undefined) ?? [],
  };
  checkSlurmOptions(options);
  return options;
}

function pollSeconds(values: Record<string, unknown>): number {
  const pollS = (values.poll as number | undefined) ?? POLL_DEFAULT_S;
  if (!(pollS > 0)) throw new ConfigError(`--poll: expected seconds > 0, got ${pollS}`);
  return pollS;
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`.replace(/\/\.$/, "");
}

function slurmText(t: TaskState | undefined): string {
  if (!t) return "-";
  const reason = t.state === "PENDING" && t.reason !== "None" ? ` (${t.reason})` : "";
  const restarts = t.restarts > 0 ? ` restarts=${t.restarts}` : "";
  return `${t.job}_${t.task} ${t.state}${reason}${restarts}`;
}

function statusRows(ctx: GridContext, byRun: Map<string, TaskState>): string[][] {
  const records = ctx.recordsOf(ctx.outDir, ctx.cells);
  return ctx.cells.map((cell, i) => {
    const r = records[i];
    const steps = r.status === "missing" ? 0 : loggedSteps(`${ctx.outDir}/${cell.name}`);
    const final = r.status === "finished" ? formatReturn(r.finalEval ?? NaN) : "";
    return [
      cell.name,
      slurmText(byRun.get(cell.name)),
      r.status,
      `${steps}/${cell.budget}`,
      final,
    ];
  });
}

function table(rows: string[][]): string {
  const all = [["run", "slurm", "run.json", "steps", "final eval"], ...rows];
  const widths = all[0].map((_, c) => Math.max(...all.map((r) => r[c].length)));
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd())
    .join("\n");
}

function writeSummary(ctx: GridContext): RunRecord[] {
  const records = ctx.recordsOf(ctx.outDir, ctx.cells);
  const meta = { name: ctx.spec.name, description: ctx.spec.description, spec: ctx.specPath };
  Deno.writeTextFileSync(
    `${ctx.outDir}/summary.json`,
    JSON.stringify(summaryJson(meta, records), null, 2) + "\n",
  );
  Deno.writeTextFileSync(`${ctx.outDir}/summary.csv`, summaryCsv(records));
  return records;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}

/** Follows the recorded jobs until none of their tasks is active, printing what changes. */
async function follow(ctx: GridContext, pollS: number): Promise<void> {
  const jobs = recordedJobs(ctx.outDir);
  const seen = new Map<string, string>();
  let lastBeat = Date.now();
  while (true) {
    const states = await taskStates(jobs.map((j) => j.id));
    const byRun = tasksByRun(jobs, states);
    const running: string[] = [];
    for (const cell of ctx.cells) {
      const t = byRun.get(cell.name);
      if (!t) continue;
      const text = slurmText(t);
      if (seen.get(cell.name) !== text) {
        console.error(`${clock()} ${cell.name}: ${text}`);
        seen.set(cell.name, text);
      }
      if (t.state === "RUNNING") {
        running.push(`${cell.name} ${loggedSteps(`${ctx.outDir}/${cell.name}`)}/${cell.budget}`);
      }
    }
    if (!states.some((t) => isActive(t.state))) return;
    if (running.length > 0 && Date.now() - lastBeat >= HEARTBEAT_S * 1000) {
      console.error(`${clock()} running: ${running.join(", ")}`);
      lastBeat = Date.now();
    }
    await sleep(pollS * 1000);
  }
}

/** Prints each run's Slurm state beside its run.json and steps (with `print`). */
async function printStatus(ctx: GridContext, print: (text: string) => void): Promise<void> {
  const jobs = recordedJobs(ctx.outDir);
  const byRun = tasksByRun(jobs, await taskStates(jobs.map((j) => j.id)));
  print(table(statusRows(ctx, byRun)));
}

/**
 * Prints the status table, writes the summary and says how the grid stands; 0 when every
 * selected run finished.
 */
async function finish(ctx: GridContext): Promise<number> {
  // stdout keeps only the summary's path, as with the local executor
  await printStatus(ctx, console.error);
  const records = writeSummary(ctx);
  const selected = new Set(ctx.plans.map((p) => p.cell.name));
  const open = records.filter((r) => selected.has(r.run) && r.status !== "finished");
  const finished = records.filter((r) => r.status === "finished").length;
  console.error(
    `summary: ${ctx.outDir}/summary.json, ${ctx.outDir}/summary.csv\n` +
      `${finished} of ${ctx.cells.length} runs finished` +
      (open.length
        ? `; not finished: ${open.map((r) => `${r.run} (${r.status})`).join(", ")}; ` +
          "run the same command again to resume them"
        : ""),
  );
  console.log(`${ctx.outDir}/summary.csv`);
  return open.length > 0 ? 1 : 0;
}

async function status(ctx: GridContext, wait: boolean, pollS: number): Promise<number> {
  const jobs = recordedJobs(ctx.outDir);
  if (jobs.length === 0) {
    throw new ConfigError(
      `--status: no Slurm job is recorded in ${ctx.outDir}/${GRID_FILE}; submit the grid first ` +
        "(the same command without --status)",
    );
  }
  if (wait) {
    await follow(ctx, pollS);
    return await finish(ctx);
  }
  await printStatus(ctx, console.log);
  writeSummary(ctx);
  return 0;
}

/**
 * Runs the experiment command with `--executor slurm`: `--status` (optionally `--wait`), or
 * a submission of the unfinished selected runs (`--dry-run` prints the script and the
 * sbatch command instead). Returns the exit code.
 */
export async function slurmExperiment(
  ctx: GridContext,
  values: Record<string, unknown>,
): Promise<number> {
  const options = slurmOptions(values);
  const pollS = pollSeconds(values);
  if (values.status) return await status(ctx, Boolean(values.wait), pollS);

  const outDir = absolute(ctx.outDir);
  const submitting = ctx.plans.filter((p) => p.action !== "skip" && p.action !== "error");
  const tasks = submitting.map((p) => ctx.cells.indexOf(p.cell));
  const scriptPath = `${outDir}/slurm/next.sh`;
  const script = tasks.length > 0
    ? batchScript({
      jobName: `dmerl-${ctx.spec.name}`,
      outDir,
      cells: ctx.cells.map(({ name, budget }) => ({ name, budget })),
      tasks,
      trainScript: new URL("../train.ts", import.meta.url).pathname,
      denoPath: Deno.execPath(),
    }, options)
    : "";
  if (ctx.dryRun) {
    if (tasks.length === 0) console.error("nothing to submit");
    else {console.log(
        `${script}\n# saved as ${scriptPath} and submitted with:\n` +
          `sbatch ${sbatchCommand(scriptPath, options).join(" ")}`,
      );}
    return 0;
  }
  const active = await activeTasks(recordedJobs(outDir));
  if (active.length > 0) throw refusal(ctx.outDir, active);
  for (const p of ctx.plans) {
    if (p.action === "skip") console.error(`skip     ${p.cell.name} (${p.detail})`);
    if (p.action === "error") console.error(`FAILED   ${p.cell.name}: ${p.detail}`);
  }
  const errors = ctx.plans.filter((p) => p.action === "error").length;
  if (tasks.length === 0) {
    console.error("nothing to submit");
    return (await finish(ctx)) || (errors > 0 ? 1 : 0);
  }

  for (const sub of ["", "/configs", "/logs", "/slurm"]) {
    Deno.mkdirSync(outDir + sub, { recursive: true });
  }
  const lock = ctx.takeLock(outDir);
  let job: SlurmJobRecord;
  try {
    for (const p of submitting) {
      if (p.action === "start" || p.action === "restart") {
        Deno.writeTextFileSync(
          `${outDir}/configs/${p.cell.name}.json`,
          JSON.stringify(runConfigOf(p.cell, outDir), null, 2) + "\n",
        );
      }
    }
    Deno.writeTextFileSync(scriptPath, script);
    const id = await submit(scriptPath, options);
    const kept = `slurm/job-${id}.sh`;
    Deno.renameSync(scriptPath, `${outDir}/${kept}`);
    job = {
      id,
      submittedAt: new Date().toISOString(),
      script: kept,
      tasks: submitting.map((p, i) => ({ task: tasks[i], run: p.cell.name })),
    };
    const grid = readGrid(outDir) ?? {};
    Deno.writeTextFileSync(
      `${outDir}/${GRID_FILE}`,
      JSON.stringify(
        {
          ...grid,
          name: ctx.spec.name,
          description: ctx.spec.description,
          spec: ctx.specPath,
          cells: ctx.cells.map(({ name, algo, env, K, seed, budget }) => ({
            name,
            algo,
            env,
            K,
            seed,
            budget,
          })),
          slurm: { jobs: [...recordedJobs(outDir), job] },
        },
        null,
        2,
      ) + "\n",
    );
  } finally {
    Deno.removeSync(lock);
  }
  for (const p of submitting) {
    console.error(`submit   ${p.cell.name} (${p.action}: ${p.detail})`);
  }
  console.error(
    `submitted Slurm job ${job.id}: ${tasks.length} run(s)` +
      (options.maxParallel ? `, at most ${options.maxParallel} at once` : "") +
      `; script ${ctx.outDir}/${job.script}, logs ${ctx.outDir}/logs/`,
  );
  if (!values.wait) {
    console.log(String(job.id));
    return errors > 0 ? 1 : 0;
  }
  await follow(ctx, pollS);
  return (await finish(ctx)) || (errors > 0 ? 1 : 0);
}
