import assert from "node:assert/strict";
import { LOCK_FILE, RunLock, RunStore } from "../../core/mod.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";
import { expandGrid, loadSpec, validateSpec } from "../../scripts/experiments/spec.ts";
import { planCell } from "../../scripts/experiments/plan.ts";
import { throwsConfig } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const registry = builtinRegistry();
const base = { algos: ["sac"], envs: ["Pendulum-v1"], budget: 100 };
const check = (spec: Record<string, unknown>) => () => validateSpec(spec, registry, "t");

Deno.test("experiment spec: errors name the field and what it allows", async () => {
  throwsConfig(
    check({ ...base, algos: ["sac", "nope"] }),
    'algos[1]: unknown algorithm "nope"; registered: ',
    "diffsac",
  );
  throwsConfig(check({ ...base, envs: ["Nope-v0"] }), "envs[0]: unknown env", "Pendulum-v1");
  throwsConfig(check({ ...base, envs: [] }), "envs: expected a non-empty array");
  throwsConfig(check({ ...base, budget: undefined }), "budget: required");
  throwsConfig(check({ ...base, budget: 0 }), "budget: expected an integer >= 1, got 0");
  throwsConfig(check({ ...base, seeds: [0, -1] }), "seeds[1]: expected an integer >= 0");
  throwsConfig(check({ ...base, K: [2, 2] }), "K: duplicate values");
  throwsConfig(check({ ...base, algo: "sac" }), "unknown key 'algo'; allowed: name,");
  throwsConfig(check({ ...base, evalEvery: 10, evalFraction: 0.1 }), "give one of them");
  throwsConfig(check({ ...base, evalFraction: 2 }), "evalFraction: expected a number > 0 <= 1");
  throwsConfig(check({ ...base, config: { steps: 5 } }), "config: unknown key 'steps'; allowed:");
  throwsConfig(check({ ...base, perAlgo: { ppo: {} } }), "perAlgo: 'ppo' is not in the spec's");
  throwsConfig(check({ ...base, name: "../x" }), "name: expected a folder name");
  throwsConfig(
    check({
      ...base,
      algos: ["diffsac"],
      K: [1],
      perAlgo: { diffsac: { policyParams: { diffusionSteps: 4 } } },
    }),
    "perAlgo.diffsac.policyParams.diffusionSteps: the grid's K sets it",
  );
  const badParam = validateSpec(
    { ...base, config: { algoParams: { batchSize: -1 } } },
    registry,
    "t",
  );
  await assert.rejects(
    () => expandGrid(badParam, registry),
    /sac on Pendulum-v1: algoParams\.batchSize/,
  );
  await assert.rejects(
    () => expandGrid(validateSpec({ ...base, K: [2] }, registry, "t"), registry),
    /K: none of the algos \(sac\) uses a diffusion policy/,
  );
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/bad.json`, "{ nope");
  await assert.rejects(() => loadSpec(`${dir}/bad.json`), /spec .*bad\.json: not valid JSON/);
  await assert.rejects(() => loadSpec(`${dir}/none.json`), /SPEC: file .* does not exist/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("experiment grid: K multiplies only diffusion algorithms; overrides merge in order", async () => {
  const spec = validateSpec(
    {
      algos: ["sac", "diffsac", "ppo", "diffppo"],
      envs: ["Pendulum-v1", "DoubleWell-v0"],
      K: [1, 4],
      seeds: [0, 1],
      budget: 1000,
      evalFraction: 0.25,
      config: { evalEpisodes: 2, algoParams: { gamma: 0.9 } },
      perEnv: { "DoubleWell-v0": { budget: 400, evalEpisodes: 3 } },
      perAlgo: { sac: { algoParams: { gamma: 0.95, batchSize: 64 } } },
    },
    registry,
    "grid",
  );
  const cells = await expandGrid(spec, registry);
  // vanilla: 2 algos x 2 envs x 2 seeds; diffusion: 2 algos x 2 envs x 2 K x 2 seeds
  assert.equal(cells.length, 8 + 16);
  const names = cells.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(names.slice(0, 6), [
    "sac-Pendulum-v1-s0",
    "sac-Pendulum-v1-s1",
    "sac-DoubleWell-v0-s0",
    "sac-DoubleWell-v0-s1",
    "diffsac-Pendulum-v1-K1-s0",
    "diffsac-Pendulum-v1-K1-s1",
  ]);
  assert.ok(names.includes("diffppo-DoubleWell-v0-K4-s1"));
  assert.ok(!names.some((n) => n.startsWith("ppo-") && n.includes("-K")));
  const get = (name: string) => cells.find((c) => c.name === name)!;
  const sac = get("sac-DoubleWell-v0-s1");
  assert.deepEqual([sac.K, sac.seed, sac.budget, sac.raw.steps, sac.raw.evalEvery], [
    null,
    1,
    400,
    400,
    100,
  ]);
  assert.equal(sac.raw.evalEpisodes, 3);
  assert.deepEqual(sac.raw.algoParams, { gamma: 0.95, batchSize: 64 });
  const diff = get("diffsac-Pendulum-v1-K4-s0");
  assert.equal((diff.raw.policyParams as Record<string, number>).diffusionSteps, 4);
  assert.equal(diff.resolved.policyParams.diffusionSteps, 4);
  assert.deepEqual([diff.budget, diff.raw.evalEvery, diff.raw.evalEpisodes], [1000, 250, 2]);
  assert.equal((diff.raw.algoParams as Record<string, number>).gamma, 0.9);
  // --budget and --seeds override the spec (and every perEnv budget)
  const small = await expandGrid(spec, registry, { budget: 50, seeds: [7] });
  assert.equal(small.length, 12);
  assert.ok(small.every((c) => c.budget === 50 && c.seed === 7 && c.name.endsWith("-s7")));
  // a fixed evalEvery keeps its number of evaluations when --budget changes the budget
  const fixed = { ...spec, evalEvery: 200, perEnv: {} };
  const rescaled = await expandGrid(fixed, registry, { budget: 250 });
  assert.ok(rescaled.every((c) => c.raw.evalEvery === 50 && c.resolved.evalEvery === 50));
  assert.ok((await expandGrid(fixed, registry)).every((c) => c.raw.evalEvery === 200));
  // without K, diffusion algorithms run once at their default K
  const noK = await expandGrid({ ...spec, K: null }, registry);
  assert.equal(noK.length, 16);
  assert.ok(noK.some((c) => c.name === "diffsac-Pendulum-v1-s0" && c.K === null));
});

Deno.test("experiment: the shipped specs validate against the registry", async () => {
  const expected: Record<string, number> = {
    k_ablation: 3 * 5 * 4,
    diffusion_vs_vanilla: 6 * 5 * 4,
    multimodality: 2 * 3,
    dmc_ppo: 2 * 2 * 2,
  };
  for (const [name, count] of Object.entries(expected)) {
    const { spec, registry: reg } = await loadSpec(`${ROOT}scripts/experiments/${name}.json`);
    assert.equal(spec.name, name);
    assert.equal((await expandGrid(spec, reg)).length, count, name);
  }
});

Deno.test("experiment plan: start, skip, extend, resume, restart, or refuse a folder", async () => {
  const spec = validateSpec({ ...base, seeds: [0] }, registry, "t");
  const [cell] = await expandGrid(spec, registry);
  const out = Deno.makeTempDirSync();
  const dir = `${out}/${cell.name}`;
  const action = () => planCell(out, cell).action;
  assert.equal(action(), "start");
  Deno.mkdirSync(dir);
  assert.equal(action(), "restart"); // empty folder
  Deno.writeTextFileSync(`${dir}/junk.txt`, "x");
  assert.equal(action(), "error"); // not a run folder: never deleted
  Deno.removeSync(`${dir}/junk.txt`);
  Deno.writeTextFileSync(`${dir}/config.json`, "{}");
  const store = RunStore.open(dir);
  store.writeConfig(cell.resolved);
  assert.equal(action(), "restart"); // no checkpoint yet
  // a run another live process trains is neither restarted (deleted) nor trained twice
  const lock = RunLock.acquire(dir);
  assert.equal(action(), "error");
  assert.match(planCell(out, cell).detail, new RegExp(`being trained by process ${Deno.pid}`));
  lock.release();
  // a lock whose process is gone does not count
  Deno.writeTextFileSync(
    `${dir}/${LOCK_FILE}`,
    JSON.stringify({ pid: 2 ** 31 - 1, host: Deno.hostname(), startedAt: "then" }),
  );
  assert.equal(action(), "restart");
  Deno.removeSync(`${dir}/${LOCK_FILE}`);
  Deno.writeTextFileSync(store.path("checkpoint.bin"), "x");
  store.writeStatus({ status: "interrupted", envSteps: 60 });
  assert.equal(action(), "resume");
  store.writeStatus({ status: "finished", envSteps: 60 });
  assert.equal(action(), "extend");
  store.writeStatus({ status: "finished", envSteps: 100 });
  assert.equal(action(), "skip");
  store.writeConfig({ ...cell.resolved, algoParams: { ...cell.resolved.algoParams, tau: 0.5 } });
  assert.match(planCell(out, cell).detail, /different config \(algoParams\.tau differs/);
  Deno.removeSync(out, { recursive: true });
});

async function experiment(args: string[]): Promise<{ code: number; err: string }> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}scripts/experiment.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, err: new TextDecoder().decode(stderr) };
}

Deno.test("experiment: a tiny grid runs, re-running skips and resumes, failures are reported", async () => {
  const tmp = Deno.makeTempDirSync();
  const specPath = `${tmp}/tiny.json`;
  Deno.writeTextFileSync(
    specPath,
    JSON.stringify({
      algos: ["sac", "diffsac"],
      envs: ["Pendulum-v1"],
      K: [1, 2],
      budget: 200,
      evalEvery: 100,
      config: {
        evalEpisodes: 1,
        algoParams: { learningStarts: 100, batchSize: 16, criticHidden: [8] },
        policyParams: { hidden: [8] },
      },
    }),
  );
  const out = `${tmp}/out`;
  const args = [specPath, "--out", out, "--jobs", "2", "--seeds", "0"];
  const first = await experiment(args);
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /experiment tiny: 3 runs/);
  assert.match(first.err, /start +diffsac-Pendulum-v1-K2-s0 \(new\)/);
  assert.match(first.err, /done +sac-Pendulum-v1-s0 in .*: 200 steps, final eval/);
  const csv = Deno.readTextFileSync(`${out}/summary.csv`).trim().split("\n");
  assert.equal(
    csv[0],
    "run,algo,env,K,seed,status,final_eval_return,best_eval_return,env_steps,wall_clock_s,steps_per_s",
  );
  assert.equal(csv.length, 4);
  assert.match(csv[1], /^sac-Pendulum-v1-s0,sac,Pendulum-v1,,0,finished,-?\d.*,200,[\d.]+,[\d.]+$/);
  assert.match(csv[3], /^diffsac-Pendulum-v1-K2-s0,diffsac,Pendulum-v1,2,0,finished,/);

  // K1 half-finished (checkpoint, not finished); K2's checkpoint corrupted
  const k1 = RunStore.open(`${out}/diffsac-Pendulum-v1-K1-s0`);
  k1.writeStatus({ status: "interrupted", envSteps: 200 });
  const k2 = RunStore.open(`${out}/diffsac-Pendulum-v1-K2-s0`);
  Deno.writeFileSync(
    k2.path("checkpoint.bin"),
    Deno.readFileSync(k2.path("checkpoint.bin")).slice(0, 64),
  );
  k2.writeStatus({ status: "interrupted", envSteps: 200 });
  const second = await experiment(args);
  assert.equal(second.code, 1, second.err);
  assert.match(second.err, /skip +sac-Pendulum-v1-s0 \(finished at 200 steps\)/);
  assert.match(second.err, /resume +diffsac-Pendulum-v1-K1-s0 \(interrupted at 200 steps\)/);
  assert.match(second.err, /done +diffsac-Pendulum-v1-K1-s0/);
  assert.match(
    second.err,
    /FAILED +diffsac-Pendulum-v1-K2-s0: exit code 2[^]*\| error: .*checkpoint/,
  );
  assert.match(second.err, /2 of 3 runs finished; failed: diffsac-Pendulum-v1-K2-s0/);
  assert.equal(k1.readStatus()?.status, "finished");
  const rows = Deno.readTextFileSync(`${out}/summary.csv`).trim().split("\n");
  assert.match(rows[3], /,interrupted,/);
  const summary = JSON.parse(Deno.readTextFileSync(`${out}/summary.json`));
  assert.equal(summary.runs.length, 3);
  assert.equal(summary.runs[0].envSteps, 200);
  assert.ok(summary.runs[0].stepsPerS > 0 && summary.runs[0].wallClockS > 0);
  const dry = await experiment([...args, "--dry-run", "--budget", "300"]);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.err, /plan: 0 to start, 3 to resume/);
  Deno.removeSync(tmp, { recursive: true });
});
