/**
 * Slurm for experiment grids: the job-array script that trains one grid cell per array task,
 * the `sbatch` submission, and the tasks' states read back from `squeue` (which works without
 * Slurm's accounting database, unlike `sacct`).
 */
import { ConfigError, RUN_FILES } from "../../core/mod.ts";

/** Resources and scheduling of one submission; unset fields fall to the cluster's defaults. */
export interface SlurmOptions {
  partition?: string;
  /** Time limit per task in Slurm's notation (`HH:MM:SS`, `D-HH:MM:SS`, minutes...). */
  time?: string;
  cpus: number;
  /** Memory per node in Slurm's notation (`4G`, `4000M`, `4000`). */
  mem?: string;
  /** Array tasks running at once (`--array=...%N`); unset: as many as the cluster allows. */
  maxParallel?: number;
  /** More `sbatch` options, given on its command line (they override the script's). */
  sbatchArgs: string[];
}

/** One array task: the grid cell it trains and that cell's env-step budget. */
export interface TaskCell {
  name: string;
  budget: number;
}

/** What a batch script needs to know besides the options. */
export interface ArrayJob {
  /** Job name, shown by `squeue`. */
  jobName: string;
  /** The grid folder, absolute, on a file system every node sees. */
  outDir: string;
  /** Every cell of the grid; a task's `SLURM_ARRAY_TASK_ID` is its index here. */
  cells: TaskCell[];
  /** Indices of the cells to run in this submission. */
  tasks: number[];
  /** Absolute path of scripts/train.ts. */
  trainScript: string;
  /** The submitting deno, used where a node sees it (else the node's `deno` on PATH). */
  denoPath: string;
}

/** Seconds before the time limit at which a task is asked to save and stop (SIGTERM). */
export const SIGNAL_LEAD_S = 120;

const TIME_FORMATS = "MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS";

/** Seconds in a Slurm time limit (`sbatch --time` notation); throws naming `--time`. */
export function parseSlurmTime(text: string): number {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new ConfigError(`--time: expected ${TIME_FORMATS}, got '${text}'`);
  const [days, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? null : +x));
  let seconds: number;
  if (days !== null) seconds = days * 86400 + a! * 3600 + (b ?? 0) * 60 + (c ?? 0);
  else if (c !== null) seconds = a! * 3600 + b! * 60 + c;
  else seconds = a! * 60 + (b ?? 0);
  if (seconds < 1) throw new ConfigError(`--time: expected a positive time limit, got '${text}'`);
  return seconds;
}

/**
 * Seconds between the warning signal and the time limit: {@link SIGNAL_LEAD_S}, or a quarter
 * of a shorter limit (a task must get to train before it is told to stop).
 */
export function signalLead(options: SlurmOptions): number {
  if (options.time === undefined) return SIGNAL_LEAD_S;
  return Math.max(1, Math.min(SIGNAL_LEAD_S, Math.floor(parseSlurmTime(options.time) / 4)));
}

/** Checks the options' values, throwing a ConfigError that names the flag. */
export function checkSlurmOptions(options: SlurmOptions): void {
  if (options.partition !== undefined && !/^[\w.,-]+$/.test(options.partition)) {
    throw new ConfigError(
      `--partition: expected partition name(s) of letters, digits, '_', '-', '.' or ',', got ` +
        `'${options.partition}'`,
    );
  }
  if (options.time !== undefined) parseSlurmTime(options.time);
  if (!Number.isInteger(options.cpus) || options.cpus < 1) {
    throw new ConfigError(`--cpus: expected an integer >= 1, got ${options.cpus}`);
  }
  if (options.mem !== undefined && !/^\d+[KMGT]?$/.test(options.mem)) {
    throw new ConfigError(
      `--mem: expected megabytes or a number with K, M, G or T (4G, 4000M), got '${options.mem}'`,
    );
  }
  if (
    options.maxParallel !== undefined &&
    (!Number.isInteger(options.maxParallel) || options.maxParallel < 1)
  ) {
    throw new ConfigError(`--max-parallel: expected an integer >= 1, got ${options.maxParallel}`);
  }
  for (const arg of options.sbatchArgs) {
    if (!arg.startsWith("-")) {
      throw new ConfigError(
        `--sbatch-arg: expected an sbatch option starting with '-' (--sbatch-arg=--qos=long), ` +
          `got '${arg}'`,
      );
    }
  }
}

/** `0-3`, `0,2,5-7`: Slurm's compact form of sorted task indices. */
export function arrayRange(tasks: number[]): string {
  const sorted = [...new Set(tasks)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** Quotes a word for bash (single quotes). */
function sh(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `sbatch` job-array script: one task per cell index, at most `maxParallel` at once.
 * A task resumes its run when the run folder holds a checkpoint (a cancelled, pre-empted,
 * timed-out or requeued task), else starts it from its config, removing a run folder that
 * stopped before its first checkpoint. The train process replaces the shell (`exec`), so
 * `--signal=B:TERM@...` and `scancel` reach it directly; it saves a checkpoint on SIGTERM.
 */
export function batchScript(job: ArrayJob, options: SlurmOptions): string {
  if (job.tasks.length === 0) throw new Error("batchScript: no tasks");
  for (const path of [job.outDir, job.trainScript]) {
    if (/\s/.test(path) || !path.startsWith("/")) {
      throw new ConfigError(`--out: Slurm needs an absolute path without spaces, got '${path}'`);
    }
  }
  const out = job.outDir;
  const directives = [
    `--job-name=${job.jobName}`,
    `--array=${arrayRange(job.tasks)}${options.maxParallel ? `%${options.maxParallel}` : ""}`,
    `--output=${out}/logs/slurm-%A_%a.out`,
    "--open-mode=append",
    "--requeue",
    `--signal=B:TERM@${signalLead(options)}`,
    "--ntasks=1",
    `--cpus-per-task=${options.cpus}`,
    ...(options.partition ? [`--partition=${options.partition}`] : []),
    ...(options.time ? [`--time=${options.time}`] : []),
    ...(options.mem ? [`--mem=${options.mem}`] : []),
  ];
  return [
    "#!/bin/bash",
    ...directives.map((d) => `#SBATCH ${d}`),
    "#",
    "# One array task per grid cell; SLURM_ARRAY_TASK_ID is the cell's index below. Written by",
    "# `deno task experiment SPEC --executor slurm`; run that command again to resume the grid.",
    "set -euo pipefail",
    `out=${sh(out)}`,
    `names=(${job.cells.map((c) => c.name).join(" ")})`,
    `budgets=(${job.cells.map((c) => c.budget).join(" ")})`,
    'i="${SLURM_ARRAY_TASK_ID:?submit this script with sbatch}"',
    'name="${names[$i]}"',
    'dir="$out/$name"',
    "# the submitting deno where the node sees it, else the node's own",
    `deno=${sh(job.denoPath)}`,
    '[ -x "$deno" ] || deno=deno',
    'exec >>"$out/logs/$name.log" 2>&1',
    `if [ -f "$dir/${RUN_FILES.checkpoint}" ]; then`,
    "  action=resume",
    '  args=(--resume "$dir" --steps "${budgets[$i]}" --quiet)',
    "else",
    "  # a run stopped before its first checkpoint starts again from scratch",
    `  if [ -f "$dir/${RUN_FILES.config}" ]; then rm -rf "$dir"; fi`,
    "  action=start",
    '  args=(--config "$out/configs/$name.json")',
    "fi",
    'echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) $action: Slurm task ${SLURM_ARRAY_JOB_ID}_$i' +
    ' on $(hostname -s), restart ${SLURM_RESTART_COUNT:-0}"',
    `exec "$deno" run -A ${sh(job.trainScript)} "\${args[@]}"`,
    "",
  ].join("\n");
}

/** The `sbatch` command line that submits `scriptPath` (without the program name). */
export function sbatchCommand(scriptPath: string, options: SlurmOptions): string[] {
  return ["--parsable", ...options.sbatchArgs, scriptPath];
}

/** True when `command` is an executable file on PATH. */
export function onPath(command: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = Deno.statSync(`${dir}/${command}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** Throws a ConfigError naming the first of `commands` that is not on PATH. */
export function requireCommands(commands: string[]): void {
  for (const command of commands) {
    if (!onPath(command)) {
      throw new ConfigError(
        `--executor: slurm needs Slurm's '${command}' on PATH and it is not there; install ` +
          "Slurm's client commands or use --executor local",
      );
    }
  }
}

async function runCommand(
  command: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout), err: text.decode(stderr) };
}

/** Submits with `sbatch --parsable`; returns the job id or throws with sbatch's message. */
export async function submit(scriptPath: string, options: SlurmOptions): Promise<number> {
  const r = await runCommand("sbatch", sbatchCommand(scriptPath, options));
  const id = Number(r.out.trim().split(";")[0]);
  if (r.code !== 0 || !Number.isInteger(id) || id <= 0) {
    throw new ConfigError(
      `sbatch refused the job (exit code ${r.code}): ${(r.err || r.out).trim().split("\n")[0]}`,
    );
  }
  return id;
}

/** One array task as `squeue` reports it. */
export interface TaskState {
  job: number;
  task: number;
  /** Slurm's state: PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, FAILED, ... */
  state: string;
  /** Why it is pending ("None" when it is not). */
  reason: string;
  /** How often Slurm requeued it. */
  restarts: number;
}

/** States in which a task may still run (or run again). */
const ACTIVE = new Set([
  "PENDING",
  "RUNNING",
  "CONFIGURING",
  "COMPLETING",
  "REQUEUED",
  "REQUEUE_FED",
  "REQUEUE_HOLD",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "SUSPENDED",
  "STOPPED",
  "RESV_DEL_HOLD",
  "SPECIAL_EXIT",
]);

/** True when a task in `state` has not ended for good. */
export function isActive(state: string): boolean {
  return ACTIVE.has(state);
}

/**
 * The array tasks of `jobs` that Slurm still knows (ended ones for `MinJobAge` after their
 * end). A job Slurm has forgotten contributes nothing.
 */
export async function taskStates(jobs: number[]): Promise<TaskState[]> {
  const lists = await Promise.all(jobs.map(async (job) => {
    const r = await runCommand("squeue", [
      "--noheader",
      "--array",
      "--states=all",
      `--jobs=${job}`,
      "--Format=ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,RestartCnt:|",
    ]);
    if (r.code !== 0) {
      if (/invalid job id/i.test(r.err)) return [];
      throw new ConfigError(
        `--executor: squeue failed (exit code ${r.code}): ${r.err.trim().split("\n").pop()}`,
      );
    }
    const tasks: TaskState[] = [];
    for (const line of r.out.split("\n")) {
      const [jobId, task, state, reason, restarts] = line.trim().split("|");
      if (restarts === undefined || !/^\d+$/.test(task)) continue;
      tasks.push({ job: +jobId, task: +task, state, reason, restarts: +restarts || 0 });
    }
    return tasks;
  }));
  return lists.flat();
}
