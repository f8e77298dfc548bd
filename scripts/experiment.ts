/**
 * `deno task experiment SPEC [--budget STEPS] [--jobs N] [--out DIR] [--seeds 0,1] [--only RE]
 * [--dry-run]`: runs a grid of training runs (algorithms x envs x K x seeds) described by a
 * JSON spec, one child process per run, at most `--jobs` at once, then writes summary.json and
 * summary.csv. Re-running the same command resumes: finished runs are skipped, half-finished
 * ones continue from their checkpoint. `--executor slurm` submits the runs as a Slurm job
 * array instead (scripts/experiments/slurm_executor.ts).
 */
import { existsSync } from "node:fs";
import { ConfigError } from "../core/mod.ts";
import {
  type FlagSpec,
  formatDuration,
  formatReturn,
  parseFlags,
  parseSets,
  PROGRESS_WIDTH,
  runMain,
  SET_HELP,
  terminalColumns,
  usage,
} from "./cli.ts";
import { type Cell, expandGrid, loadSpec, OVERRIDE_KEYS, parseSeeds } from "./experiments/spec.ts";
import { loggedSteps, type Plan, planCell, runChild } from "./experiments/plan.ts";
import {
  isRunFolder,
  missingRecord,
  readRunRecord,
  type RunRecord,
  summaryCsv,
  summaryJson,
} from "./experiments/summary.ts";
import {
  EXECUTOR_FLAGS,
  executorOf,
  refuseWhileSubmitted,
  slurmExperiment,
} from "./experiments/slurm_executor.ts";

const FLAGS: Record<string, FlagSpec> = {
  "--budget": { key: "budget", kind: "int", help: "env steps per run (default: the spec's)" },
  "--jobs": { key: "jobs", kind: "int", help: "runs at once (default 1)" },
  "--out": { key: "out", kind: "string", help: "output folder (default runs/experiments/NAME)" },
  "--seeds": { key: "seeds", kind: "string", help: "comma-separated seeds (default: the spec's)" },
  "--only": { key: "only", kind: "string", help: "run only the runs whose name matches this RE" },
  "--set": { key: "set", kind: "list", help: SET_HELP },
  "--dry-run": { key: "dryRun", kind: "boolean", help: "print the plan and exit" },
  ...EXECUTOR_FLAGS,
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

/** Seconds between the progress lines about running runs. */
const HEARTBEAT_S = 60;

/** A spec path, or the name of a shipped spec (`k_ablation` -> scripts/experiments/...). */
function specPath(arg: string): string {
  if (existsSync(arg)) return arg;
  const shipped = new URL(`./experiments/${arg.replace(/\.json$/, "")}.json`, import.meta.url);
  return existsSync(shipped.pathname) ? shipped.pathname : arg;
}

/** Takes the output folder's lock; an existing lock of a live process is an error. */
function takeLock(outDir: string): string {
  const path = `${outDir}/.experiment.lock`;
  try {
    Deno.writeTextFileSync(path, String(Deno.pid), { createNew: true });
    return path;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  const pid = Number(Deno.readTextFileSync(path).trim());
  const stale = Deno.build.os === "linux" && !existsSync(`/proc/${pid}`);
  if (!stale) {
    throw new ConfigError(
      `--out: another experiment (pid ${pid}) is using '${outDir}'; if none is running, ` +
        `delete ${path}`,
    );
  }
  Deno.writeTextFileSync(path, String(Deno.pid));
  return path;
}

function recordsOf(outDir: string, cells: Cell[]): RunRecord[] {
  return cells.map((cell) => {
    const dir = `${outDir}/${cell.name}`;
    if (!isRunFolder(dir)) return missingRecord(cell);
    try {
      return readRunRecord(dir);
    } catch {
      return missingRecord(cell);
    }
  });
}

function gridText(cells: Cell[], K: number[] | null): string {
  const count = (f: (c: Cell) => unknown) => new Set(cells.map(f)).size;
  return `${cells.length} runs (${count((c) => c.algo)} algo(s) x ${
    count((c) => c.env)
  } env(s) x ` +
    `${K ? `K in ${K.join(",")} for diffusion algos` : "default K"} x ${
      count((c) => c.seed)
    } seed(s))`;
}

if (import.meta.main) {
  await runMain(async () => {
    const args = parseFlags(Deno.args, FLAGS);
    if (args.values.help || args.positional.length === 0) {
      console.log(usage("deno task experiment SPEC [flags]", FLAGS));
      return args.values.help ? 0 : 2;
    }
    if (args.positional.length > 1) {
      throw new ConfigError(`unexpected argument '${args.positional[1]}' (one SPEC only)`);
    }
    const executor = executorOf(args);
    const path = specPath(args.positional[0]);
    const { spec, registry } = await loadSpec(path);
    const budget = args.values.budget as number | undefined;
    if (budget !== undefined && budget < 1) {
      throw new ConfigError(`--budget: expected an integer >= 1, got ${budget}`);
    }
    const jobs = (args.values.jobs as number | undefined) ?? 1;
    if (jobs < 1) throw new ConfigError(`--jobs: expected an integer >= 1, got ${jobs}`);
    const seeds = typeof args.values.seeds === "string" ? parseSeeds(args.values.seeds) : undefined;
    const outDir = ((args.values.out as string | undefined) ?? `runs/experiments/${spec.name}`)
      .replace(/\/+$/, "");
    const overrides = parseSets((args.values.set as string[] | undefined) ?? [], OVERRIDE_KEYS);
    const cells = await expandGrid(spec, registry, { budget, seeds, overrides });
    let selected = cells;
    if (typeof args.values.only === "string") {
      let re: RegExp;
      try {
        re = new RegExp(args.values.only);
      } catch (e) {
        throw new ConfigError(`--only: not a regular expression (${(e as Error).message})`);
      }
      selected = cells.filter((c) => re.test(c.name));
      if (selected.length === 0) {
        throw new ConfigError(`--only: '${args.values.only}' matches none of ${cells.length} runs`);
      }
    }
    const evalText = [...new Set(cells.map((c) => c.resolved.evalEvery))].join("/");
    console.error(
      `experiment ${spec.name}: ${gridText(cells, spec.K)}, budget ${
        [...new Set(cells.map((c) => c.budget))].join("/")
      } env steps, eval every ${evalText}, output ${outDir}`,
    );
    const plans: Plan[] = selected.map((cell) => planCell(outDir, cell));
    const byAction = (a: string) => plans.filter((p) => p.action === a).length;
    console.error(
      `plan: ${byAction("start") + byAction("restart")} to start, ${
        byAction("resume") + byAction("extend")
      } to resume, ${byAction("skip")} finished, ${byAction("error")} in the way` +
        (selected.length < cells.length ? ` (--only: ${selected.length} of ${cells.length})` : ""),
    );
    if (executor === "slurm") {
      const dryRun = Boolean(args.values.dryRun);
      const context = { spec, specPath: path, cells, plans, outDir, dryRun, takeLock, recordsOf };
      return await slurmExperiment(context, args.values);
    }
    if (args.values.dryRun) {
      for (const p of plans) console.log(`${p.action.padEnd(8)} ${p.cell.name}  (${p.detail})`);
      return 0;
    }

    for (const sub of ["", "/configs", "/logs"]) Deno.mkdirSync(outDir + sub, { recursive: true });
    await refuseWhileSubmitted(outDir);
    const lock = takeLock(outDir);
    Deno.writeTextFileSync(
      `${outDir}/grid.json`,
      JSON.stringify(
        {
          name: spec.name,
          description: spec.description,
          spec: path,
          cells: cells.map(({ name, algo, env, K, seed, budget }) => ({
            name,
            algo,
            env,
            K,
            seed,
            budget,
          })),
        },
        null,
        2,
      ) + "\n",
    );
    const failed: string[] = [];
    const interrupted: string[] = [];
    for (const p of plans) {
      if (p.action === "skip") console.error(`skip     ${p.cell.name} (${p.detail})`);
      if (p.action === "error") {
        console.error(`FAILED   ${p.cell.name}: ${p.detail}`);
        failed.push(p.cell.name);
      }
    }
    const queue = plans.filter((p) => p.action !== "skip" && p.action !== "error");
    const total = queue.length;
    let started = 0;
    let stopping = 0;
    const running = new Map<string, Deno.ChildProcess | null>();
    const onSigint = () => {
      stopping++;
      if (stopping === 1) {
        console.error(
          `\ninterrupt: starting no more runs; waiting for ${running.size} running run(s) to ` +
            "save their checkpoints (Ctrl-C again to pass the interrupt on to them)",
        );
      } else if (stopping === 2) {
        for (const child of running.values()) {
          try {
            child?.kill("SIGINT");
          } catch {
            // already gone
          }
        }
      } else Deno.exit(130);
    };
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGINT", onSigint);
    // On a terminal one status line is redrawn in place every second; in a log, a line is
    // written every HEARTBEAT_S seconds when it has changed.
    const live = Deno.stderr.isTerminal();
    const encoder = new TextEncoder();
    let lastStatus = "";
    const clearStatus = () => {
      if (live && lastStatus) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    };
    const say = (line: string) => {
      clearStatus();
      lastStatus = "";
      console.error(line);
    };
    const heartbeat = setInterval(() => {
      if (running.size === 0) return;
      const parts = [...running.keys()].map((name) => {
        const cell = cells.find((c) => c.name === name)!;
        return `${name} ${Math.min(loggedSteps(`${outDir}/${name}`), cell.budget)}/${cell.budget}`;
      });
      const text = `running [${started}/${total}]: ${parts.join(", ")}`;
      if (live) {
        const width = Math.min(PROGRESS_WIDTH, terminalColumns() - 1);
        const shown = text.length > width ? `${text.slice(0, width - 3)}...` : text;
        Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${shown}`));
      } else if (text !== lastStatus) console.error(text);
      lastStatus = text;
    }, (live ? 1 : HEARTBEAT_S) * 1000);

    const worker = async () => {
      while (queue.length > 0 && stopping === 0) {
        // decided again now: the folder may have changed since the plan (another process
        // started, finished or is training this run)
        const plan = planCell(outDir, queue.shift()!.cell);
        const { cell } = plan;
        const index = `[${++started}/${total}]`;
        if (plan.action === "skip" || plan.action === "error") {
          say(
            `${index} ${
              plan.action === "skip" ? "skip   " : "FAILED "
            } ${cell.name}: ${plan.detail}`,
          );
          if (plan.action === "error") failed.push(cell.name);
          continue;
        }
        say(`${index} ${plan.action.padEnd(7)} ${cell.name} (${plan.detail})`);
        running.set(cell.name, null);
        const logPath = `${outDir}/logs/${cell.name}.log`;
        let result;
        try {
          result = await runChild(
            plan,
            outDir,
            { configPath: `${outDir}/configs/${cell.name}.json`, logPath },
            (child) => running.set(cell.name, child),
          );
        } catch (e) {
          result = { code: -1, seconds: 0, stderrTail: String((e as Error).stack ?? e) };
        }
        running.delete(cell.name);
        if (result.code === 0) {
          const r = readRunRecord(`${outDir}/${cell.name}`);
          say(
            `${index} done    ${cell.name} in ${
              formatDuration(result.seconds)
            }: ${r.envSteps} steps, ` +
              `final eval ${formatReturn(r.finalEval ?? NaN)} (best ${
                formatReturn(r.bestEval ?? NaN)
              })`,
          );
        } else if (result.code === 130) {
          say(`${index} stopped ${cell.name} (checkpoint saved; re-run to resume)`);
          interrupted.push(cell.name);
        } else {
          const tail = result.stderrTail.trimEnd().split("\n").slice(-15);
          say(
            `${index} FAILED  ${cell.name}: exit code ${result.code} after ${
              formatDuration(result.seconds)
            } (log ${logPath})\n${tail.map((l) => `    | ${l}`).join("\n")}`,
          );
          failed.push(cell.name);
        }
      }
    };
    let records: RunRecord[] = [];
    try {
      await Promise.all(Array.from({ length: Math.min(jobs, Math.max(total, 1)) }, worker));
    } finally {
      clearInterval(heartbeat);
      clearStatus();
      if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGINT", onSigint);
      records = recordsOf(outDir, cells);
      Deno.writeTextFileSync(
        `${outDir}/summary.json`,
        JSON.stringify(
          summaryJson({ name: spec.name, description: spec.description, spec: path }, records),
          null,
          2,
        ) + "\n",
      );
      Deno.writeTextFileSync(`${outDir}/summary.csv`, summaryCsv(records));
      Deno.removeSync(lock);
    }
    const notRun = queue.length;
    const finished = records.filter((r) => r.status === "finished").length;
    console.error(
      `summary: ${outDir}/summary.json, ${outDir}/summary.csv\n` +
        `${finished} of ${cells.length} runs finished` +
        (failed.length ? `; failed: ${failed.join(", ")}` : "") +
        (interrupted.length ? `; interrupted: ${interrupted.join(", ")}` : "") +
        (notRun ? `; ${notRun} not started` : ""),
    );
    console.log(`${outDir}/summary.csv`);
    if (failed.length > 0) return 1;
    return stopping > 0 || interrupted.length > 0 ? 130 : 0;
  });
}
