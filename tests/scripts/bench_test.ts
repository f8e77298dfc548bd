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

Deno.test("updateTable takes medians over repeats, the peer and dmerl in turn, with the per-repeat ratios", async () => {
  const { updateTable } = await import("../../bench/update_timing.ts");
  const { builtinRegistry } = await import("../../plugins/builtin.ts");
  let calls = 0;
  // a peer whose figure moves between repeats, as PyTorch's does
  const peer = (threads: number, warmupMs: number) => {
    calls++;
    assert.equal(threads, 1);
    assert.equal(warmupMs, 20);
    const cpu = [10, 30, 20][calls - 1];
    return Promise.resolve({
      ms: { tiny: { cpu, wall: cpu } },
      torch: "fake",
      threads,
      blas: "none",
      pools: [],
    });
  };
  const table = await updateTable(builtinRegistry(), [{
    label: "tiny SAC",
    peer: "tiny",
    raw: {
      algo: "sac",
      env: "Pendulum-v1",
      algoParams: { learningStarts: 40, batchSize: 8 },
      policyParams: { hidden: [8] },
    },
  }], { targetMs: 5, cpuLimitMs: 1e4, repeat: 3, warmupMs: 20, peer });
  assert.equal(calls, 3);
  assert.match(table, /after 0.02 s of warm-up per update on both sides/);
  assert.match(table, /3 repeat\(s\), the PyTorch peer\nand dmerl in turn/);
  const row = table.split("\n").find((l) => l.startsWith("| tiny SAC |"))!;
  const cells = row.split("|").map((c) => c.trim());
  // PyTorch CPU / wall: the median of 10, 30 and 20
  assert.equal(cells[5], "20.0 / 20.0");
  // per-repeat ratios: dmerl's figure of each repeat over 10, 30 and 20 ms
  const [low, high] = cells[8].split("-").map(Number);
  assert.ok(low > 0 && high > low, cells[8]);
});
