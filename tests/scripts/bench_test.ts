import assert from "node:assert/strict";
import { applyOverrides } from "../../scripts/bench.ts";
import { throwsConfig } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("bench --set overrides nested run-config fields, parsing JSON values", () => {
  const config = applyOverrides({ algoParams: { surrogate: "chain" } }, [
    "policyParams.diffusionSteps=4",
    "algoParams.surrogate=augmented",
    "policyParams.hidden=[32,32]",
  ]);
  assert.deepEqual(config, {
    algoParams: { surrogate: "augmented" },
    policyParams: { diffusionSteps: 4, hidden: [32, 32] },
  });
  throwsConfig(() => applyOverrides({}, ["nonsense"]), "--set: expected PATH=VALUE");
});

Deno.test("bench: a tiny multimodality benchmark runs, summarises and measures mode shares", async () => {
  const out = Deno.makeTempDirSync();
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}scripts/bench.ts`,
      "multimodal-sac",
      "--seeds",
      "0",
      "--steps",
      "300",
      "--out",
      out,
      "--set",
      "algoParams.learningStarts=200",
      "--set",
      "algoParams.batchSize=16",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(run.stdout);
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  assert.match(
    stdout,
    /\| seed \| final eval return \| wall-clock per 1k env steps \| mode\+ \| mode- \|/,
  );
  assert.match(stdout, /overrides: algoParams.learningStarts=200 algoParams.batchSize=16/);
  const [dir] = [...Deno.readDirSync(out)].map((e) => `${out}/${e.name}`);
  const summary = JSON.parse(Deno.readTextFileSync(`${dir}/summary.json`));
  const shares = summary.perSeed[0].figures;
  assert.ok(shares["mode+"] >= 0 && shares["mode+"] <= 1 && shares["mode-"] >= 0);
  assert.ok(Deno.statSync(`${dir}/curves.svg`).size > 0);
  const config = JSON.parse(Deno.readTextFileSync(`${dir}/seed0/config.json`));
  assert.equal(config.algoParams.batchSize, 16);
  Deno.removeSync(out, { recursive: true });
});

Deno.test("timeEnvSteps times whole iterations of off- and on-policy algorithms per env step", async () => {
  const { timeEnvSteps } = await import("../../bench/update_timing.ts");
  const { builtinRegistry } = await import("../../plugins/builtin.ts");
  const registry = builtinRegistry();
  const sac = await timeEnvSteps(registry, {
    algo: "sac",
    env: "Pendulum-v1",
    algoParams: { learningStarts: 20, batchSize: 8, criticHidden: [8] },
    policyParams: { hidden: [8] },
  }, { warmupSteps: 20, measureSteps: 5 });
  // one PPO iteration is a whole rollout of 2 envs x 16 steps
  const ppo = await timeEnvSteps(registry, {
    algo: "ppo",
    env: "Pendulum-v1",
    numEnvs: 2,
    algoParams: { numSteps: 16, numMinibatches: 2, updateEpochs: 1 },
    policyParams: { hidden: [8] },
  }, { warmupSteps: 32, measureSteps: 40 });
  for (const ms of [sac, ppo]) assert.ok(Number.isFinite(ms) && ms > 0, `ms per step ${ms}`);
});
