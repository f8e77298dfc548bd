import assert from "node:assert/strict";
import { arrayRange, parseSlurmTime, signalLead } from "../../scripts/experiments/slurm.ts";
import { type SlurmCluster, slurmSkipReason, startSlurm } from "./slurm_fixture.ts";
import { throwsConfig } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const EXPERIMENT = `${ROOT}scripts/experiment.ts`;
const TRAIN = `${ROOT}scripts/train.ts`;
const text = new TextDecoder();

/** Four tiny Pendulum-v1 SAC runs (seeds 0-3); no scheduled checkpoint before the end. */
const TINY_SPEC = {
  name: "tiny",
  algos: ["sac"],
  envs: ["Pendulum-v1"],
  seeds: [0, 1, 2, 3],
  budget: 1000,
  evalEvery: 500,
  config: {
    evalEpisodes: 1,
    logEvery: 100,
    algoParams: { learningStarts: 100, batchSize: 16, criticHidden: [8] },
    policyParams: { hidden: [8] },
  },
};

async function experiment(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string; seconds: number }> {
  const start = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EXPERIMENT, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - start) / 1000;
  return { code: r.code, out: text.decode(r.stdout), err: text.decode(r.stderr), seconds };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A run's metrics rows without wall-clock time. */
function rows(dir: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(`${dir}/metrics.jsonl`).trim().split("\n").map((line) => {
    const { time_s: _t, ...rest } = JSON.parse(line);
    return rest;
  });
}

/** summary.csv without the wall-clock columns. */
function summaryWithoutTimes(outDir: string): string[] {
  const lines = Deno.readTextFileSync(`${outDir}/summary.csv`).trim().split("\n");
  return lines.map((l) => l.split(",").slice(0, -2).join(","));
}

/** Steps a run has logged so far (0 before its first row). */
function logged(dir: string): number {
  try {
    const all = rows(dir);
    return Number(all[all.length - 1].step);
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, test: () => Promise<boolean> | boolean, timeoutS = 120) {
  const end = Date.now() + timeoutS * 1000;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

Deno.test("slurm options: time limits, array ranges and the signal's lead", () => {
  assert.equal(parseSlurmTime("90"), 5400);
  assert.equal(parseSlurmTime("1:30"), 90);
  assert.equal(parseSlurmTime("12:00:00"), 43200);
  assert.equal(parseSlurmTime("2-00:30"), 2 * 86400 + 1800);
  assert.equal(parseSlurmTime("1-2"), 86400 + 7200);
  throwsConfig(() => parseSlurmTime("1:2:3:4"), "--time: expected MM, MM:SS, HH:MM:SS");
  throwsConfig(() => parseSlurmTime("0"), "--time: expected a positive time limit");
  assert.equal(arrayRange([3, 0, 1, 2, 7, 9, 10]), "0-3,7,9-10");
  assert.equal(signalLead({ cpus: 1, sbatchArgs: [] }), 120);
  assert.equal(signalLead({ cpus: 1, sbatchArgs: [], time: "4:00" }), 60);
  assert.equal(signalLead({ cpus: 1, sbatchArgs: [], time: "48:00:00" }), 120);
});

Deno.test("train CLI: SIGTERM and SIGHUP save a checkpoint like Ctrl-C", async () => {
  const dir = Deno.makeTempDirSync();
  const config = { ...TINY_SPEC.config, algo: "sac", env: "Pendulum-v1", steps: 100000 };
  Deno.writeTextFileSync(`${dir}/c.json`, JSON.stringify({ ...config, out: dir, quiet: true }));
  await Promise.all((["SIGTERM", "SIGHUP"] as const).map(async (signal) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", TRAIN, "--config", `${dir}/c.json`, "--name", signal],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await until(`${signal}'s first metrics rows`, () => logged(`${dir}/${signal}`) >= 200, 60);
    child.kill(signal);
    const r = await child.output();
    assert.equal(r.code, 130, text.decode(r.stderr));
    assert.match(text.decode(r.stderr), new RegExp(`${signal}: saving a checkpoint`));
    const status = JSON.parse(Deno.readTextFileSync(`${dir}/${signal}/run.json`));
    assert.equal(status.status, "interrupted");
    assert.ok(status.envSteps >= 200 && status.envSteps < 100000);
    assert.ok(exists(`${dir}/${signal}/checkpoint.bin`));
  }));
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("experiment --executor slurm: bad input gives one line and exit 2; the dry run", async () => {
  const tmp = Deno.makeTempDirSync();
  const spec = `${tmp}/tiny.json`;
  Deno.writeTextFileSync(spec, JSON.stringify(TINY_SPEC));
  const out = `${tmp}/out`;
  const noSlurm = `${tmp}/bin`; // a PATH without Slurm's commands
  Deno.mkdirSync(noSlurm);
  const cases: [string[], RegExp, Record<string, string>?][] = [
    [[spec, "--executor", "pbs"], /^error: --executor: expected local or slurm, got 'pbs'$/],
    [[spec, "--partition", "gpu"], /^error: --partition: only with --executor slurm$/],
    [[spec, "--executor", "slurm", "--jobs", "2"], /^error: --jobs: the local executor's;/],
    [
      [spec, "--executor", "slurm", "--dry-run", "--time", "3h"],
      /^error: --time: expected MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, got '3h'$/,
    ],
    [
      [spec, "--executor", "slurm", "--dry-run", "--max-parallel", "0"],
      /^error: --max-parallel: expected an integer >= 1, got 0$/,
    ],
    [
      [spec, "--executor", "slurm", "--dry-run", "--mem", "lots"],
      /^error: --mem: expected megabytes or a number with K, M, G or T/,
    ],
    [
      [`${tmp}/none.json`, "--executor", "slurm", "--dry-run"],
      /^error: SPEC: file .*none\.json' does not exist/,
    ],
    [
      [spec, "--executor", "slurm"],
      /^error: --executor: slurm needs Slurm's 'sbatch' on PATH and it is not there;/,
      { PATH: noSlurm },
    ],
  ];
  const results = await Promise.all(
    cases.map(([args, _, env]) => experiment([...args, "--out", out], env)),
  );
  results.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i][0].join(" ")}: ${r.err}`);
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
    assert.match(r.err.trim(), cases[i][1]);
  });
  assert.ok(!exists(out), "nothing written");

  const dry = await experiment([
    "k_ablation",
    "--executor",
    "slurm",
    "--dry-run",
    "--out",
    out,
    "--partition",
    "cpu",
    "--time",
    "1-00:00:00",
    "--mem",
    "4G",
    "--max-parallel",
    "20",
    "--sbatch-arg=--qos=long",
  ], { PATH: noSlurm });
  assert.equal(dry.code, 0, dry.err);
  assert.ok(!exists(out), "a dry run writes nothing");
  for (
    const line of [
      "#SBATCH --array=0-59%20",
      "#SBATCH --signal=B:TERM@120",
      "#SBATCH --requeue",
      "#SBATCH --open-mode=append",
      "#SBATCH --partition=cpu",
      "#SBATCH --time=1-00:00:00",
      "#SBATCH --mem=4G",
      `sbatch --parsable --qos=long ${out}/slurm/next.sh`,
    ]
  ) assert.ok(dry.out.includes(line), `dry run lacks '${line}':\n${dry.out}`);
  assert.match(dry.out, /names=\(diffsac-Humanoid-v4-K1-s0 .* diffwpo-Humanoid-v4-K16-s3\)/);
  // the script is valid bash
  const script = dry.out.slice(0, dry.out.indexOf("\n# saved as"));
  Deno.writeTextFileSync(`${tmp}/script.sh`, script);
  const syntax = await new Deno.Command("bash", { args: ["-n", `${tmp}/script.sh`] }).output();
  assert.equal(syntax.code, 0, text.decode(syntax.stderr));
  Deno.removeSync(tmp, { recursive: true });
});

const SKIP = slurmSkipReason();

Deno.test({
  name: `experiment --executor slurm: a grid on a real Slurm completes, resumes after scancel ` +
    `and requeue, equals the local executor's${SKIP ? ` (skipped: ${SKIP})` : ""}`,
  ignore: SKIP !== null,
  fn: async () => {
    const tmp = Deno.makeTempDirSync();
    const spec = `${tmp}/tiny.json`;
    Deno.writeTextFileSync(spec, JSON.stringify(TINY_SPEC));
    const names = TINY_SPEC.seeds.map((s) => `sac-Pendulum-v1-s${s}`);
    let cluster: SlurmCluster | null = null;
    try {
      cluster = await startSlurm();
      const env = cluster.env;
      const slurm = (out: string, ...more: string[]) =>
        experiment([
          spec,
          "--out",
          out,
          "--executor",
          "slurm",
          "--max-parallel",
          "2",
          "--poll",
          "0.5",
          ...more,
        ], env);

      // a bad spec: one line, exit 2, nothing submitted
      const badSpec = `${tmp}/bad.json`;
      Deno.writeTextFileSync(badSpec, JSON.stringify({ ...TINY_SPEC, algos: ["nope"] }));
      const bad = await experiment([badSpec, "--executor", "slurm", "--out", `${tmp}/bad`], env);
      assert.equal(bad.code, 2, bad.err);
      assert.match(
        bad.err,
        /^error: spec .*bad\.json: algos\[0\]: unknown algorithm "nope"; registered: .*\n$/,
      );
      assert.equal((await cluster.run("squeue", ["-h", "-t", "all"])).out, "");
      assert.ok(!exists(`${tmp}/bad`));

      // the reference: the local executor, two runs at once
      const local = await experiment([spec, "--out", `${tmp}/local`, "--jobs", "2"]);
      assert.equal(local.code, 0, local.err);

      // the same grid through Slurm: same returns, same metrics rows
      const grid = await slurm(`${tmp}/slurm`, "--wait");
      assert.equal(grid.code, 0, grid.err);
      assert.match(grid.err, /submitted Slurm job \d+: 4 run\(s\), at most 2 at once/);
      assert.match(grid.err, /sac-Pendulum-v1-s3: \d+_3 COMPLETED/);
      assert.deepEqual(summaryWithoutTimes(`${tmp}/slurm`), summaryWithoutTimes(`${tmp}/local`));
      for (const name of names) {
        assert.deepEqual(rows(`${tmp}/slurm/${name}`), rows(`${tmp}/local/${name}`), name);
      }
      console.log(
        `4-run grid: local executor ${local.seconds.toFixed(1)} s, Slurm ` +
          `${grid.seconds.toFixed(1)} s`,
      );

      // interrupted grid: scancel one task, requeue another
      const out = `${tmp}/cut`;
      const first = await slurm(out);
      assert.equal(first.code, 0, first.err);
      const job = Number(first.out.trim());
      assert.ok(job > 0, first.out);
      const again = await slurm(out);
      assert.equal(again.code, 2, again.err);
      assert.match(
        again.err.trim().split("\n").pop()!,
        new RegExp(`^error: --out: the grid in '.*' is already submitted as Slurm job ${job} `),
      );
      // nor does the local executor train the same runs meanwhile
      const localToo = await experiment([spec, "--out", out], env);
      assert.equal(localToo.code, 2, localToo.err);
      assert.match(localToo.err, new RegExp(`already submitted as Slurm job ${job} `));
      const isRunning = async (task: number) =>
        (await cluster!.run("squeue", ["-h", "-r", "-j", `${job}_${task}`, "-o", "%T"])).out
          .trim() === "RUNNING";
      // both first tasks mid-run (past their first rows, not finished), then stopped at once
      await until("tasks 0 and 1 mid-run", async () => {
        for (const task of [0, 1]) {
          if (logged(`${out}/${names[task]}`) < 200 || !(await isRunning(task))) return false;
        }
        return true;
      });
      for (const args of [["scancel", `${job}_0`], ["scontrol", "requeue", `${job}_1`]]) {
        const r = await cluster.run(args[0], args.slice(1));
        assert.equal(r.code, 0, r.err);
      }
      const status = await slurm(out, "--status", "--wait");
      assert.equal(status.code, 1, status.err);
      assert.match(status.err, new RegExp(`${names[0]}: ${job}_0 CANCELLED`));
      assert.match(status.err, new RegExp(`${names[1]}: ${job}_1 PENDING.* restarts=1`));
      assert.match(status.err, /3 of 4 runs finished; not finished: sac-Pendulum-v1-s0 \(interr/);
      // the requeued task resumed from the checkpoint it saved on SIGTERM
      const log1 = Deno.readTextFileSync(`${out}/logs/${names[1]}.log`);
      assert.match(log1, /SIGTERM: saving a checkpoint/);
      assert.match(log1, new RegExp(`resume: Slurm task ${job}_1 on .*, restart 1`));
      const resumedAt = Number(/resuming at step (\d+)/.exec(log1)?.[1]);
      assert.ok(resumedAt >= 200 && resumedAt < TINY_SPEC.budget, log1);
      const cut = JSON.parse(Deno.readTextFileSync(`${out}/${names[0]}/run.json`));
      assert.equal(cut.status, "interrupted");

      // the same command again: only the cancelled run is submitted, and it resumes
      const rerun = await slurm(out, "--wait");
      assert.equal(rerun.code, 0, rerun.err);
      assert.match(rerun.err, /submitted Slurm job \d+: 1 run\(s\)/);
      assert.match(rerun.err, new RegExp(`submit +${names[0]} \\(resume: interrupted at `));
      assert.match(rerun.err, new RegExp(`skip +${names[3]} \\(finished at 1000 steps\\)`));
      const log0 = Deno.readTextFileSync(`${out}/logs/${names[0]}.log`);
      assert.match(log0, new RegExp(`resuming at step ${cut.envSteps}:`));
      assert.deepEqual(summaryWithoutTimes(out), summaryWithoutTimes(`${tmp}/local`));
      for (const name of names) {
        assert.deepEqual(rows(`${out}/${name}`), rows(`${tmp}/local/${name}`), name);
      }
      const grid2 = JSON.parse(Deno.readTextFileSync(`${out}/grid.json`));
      assert.equal(grid2.slurm.jobs.length, 2);
      assert.equal(grid2.slurm.jobs[0].id, job);
      // the report reads the folder as it reads a local grid's
      const report = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}scripts/report.ts`, out],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(report.code, 0, text.decode(report.stderr));
      assert.ok(exists(`${out}/report.html`));
    } finally {
      await cluster?.stop();
      Deno.removeSync(tmp, { recursive: true });
    }
  },
});
