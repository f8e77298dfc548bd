import assert from "node:assert/strict";
import {
  formatThroughput,
  hoursPerMillion,
  measureThroughput,
  type ThroughputCase,
  type ThroughputReport,
} from "../../bench/throughput.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";

const PEER = new URL("../../bench/peers/torch_throughput.py", import.meta.url).pathname;

/** The four Hopper loops at tiny sizes: a few env steps each. */
const TINY: ThroughputCase[] = [
  {
    label: "SAC",
    peer: "sac",
    raw: {
      algo: "sac",
      env: "Hopper-v4",
      algoParams: { learningStarts: 10, batchSize: 8, criticHidden: [8] },
      policyParams: { hidden: [8] },
    },
    window: { warmupSteps: 10, measureSteps: 4 },
  },
  {
    label: "DiffSAC K=2 (chain)",
    peer: "diffsac-k8",
    raw: {
      algo: "diffsac",
      env: "Hopper-v4",
      algoParams: { learningStarts: 10, batchSize: 8, criticHidden: [8], surrogate: "chain" },
      policyParams: { diffusionSteps: 2, hidden: [8] },
    },
    window: { warmupSteps: 10, measureSteps: 4 },
  },
  {
    label: "PPO",
    peer: "ppo",
    raw: {
      algo: "ppo",
      env: "Hopper-v4",
      algoParams: { numSteps: 8, numMinibatches: 2, updateEpochs: 1, criticHidden: [8] },
      policyParams: { hidden: [8] },
    },
    window: { warmupSteps: 0, measureSteps: 8 },
  },
  {
    label: "DiffPPO K=2",
    peer: "diffppo-k8",
    raw: {
      algo: "diffppo",
      env: "Hopper-v4",
      algoParams: { numSteps: 8, numMinibatches: 2, updateEpochs: 1, criticHidden: [8] },
      policyParams: { diffusionSteps: 2, hidden: [8] },
    },
    window: { warmupSteps: 0, measureSteps: 8 },
  },
];

Deno.test("hopper-throughput: tiny windows of the four loops, the env alone and a well-formed table", async () => {
  const report = await measureThroughput(builtinRegistry(), TINY, {
    peerScale: 0.01,
    envSteps: 20,
    envRounds: 1,
  });
  assert.equal(report.rows.length, 4);
  for (const { case: c, timing } of report.rows) {
    assert.ok(timing.envSteps >= c.window.measureSteps, `${c.label}: ${timing.envSteps} steps`);
    assert.ok(timing.afterSteps > c.window.warmupSteps, `${c.label}: warm-up iteration`);
    assert.ok(timing.wallMs > 0 && timing.cpuMs > 0, `${c.label}: ${JSON.stringify(timing)}`);
  }
  // whole PPO iterations: one rollout of 8 env steps warms up, one is timed
  assert.deepEqual(
    report.rows.slice(2).map((r) => [r.timing.afterSteps, r.timing.envSteps]),
    [[8, 8], [8, 8]],
  );
  assert.ok(report.env.cpuMsPerStep > 0 && report.env.steps === 20);
  const table = formatThroughput(report).split("\n");
  const header = table.findIndex((l) => l.startsWith("| loop |"));
  assert.ok(header > 0, "table header");
  const columns = table[header].split("|").length;
  const body = table.slice(header + 2).filter((l) => l.startsWith("|"));
  assert.deepEqual(
    body.map((l) => l.split("|")[1].trim()),
    [...TINY.map((c) => c.label), "Hopper-v4 env alone (VecEnv, random actions)"],
  );
  for (const line of body) {
    assert.equal(line.split("|").length, columns, line);
    assert.doesNotMatch(line, /NaN|Infinity|undefined/, line);
  }
  // the dmerl columns hold the measured window; PyTorch's are figures or, without it, "-"
  const sac = report.rows[0].timing;
  const cpuMs = sac.cpuMs / sac.envSteps;
  assert.match(body[0], new RegExp(`\\| ${cpuMs.toFixed(2)} / `));
  if (typeof report.peer === "string") {
    assert.match(table.join("\n"), /- PyTorch: not measured \(.+\)/);
  } else {
    // the peer replayed each loop's schedule: one update per env step for the SAC family,
    // 10 epochs x 32 minibatches per 2048-step rollout for the PPO family
    const peer = report.peer.ms;
    assert.deepEqual(Object.keys(peer), TINY.map((c) => c.peer));
    assert.deepEqual(Object.values(peer).map((p) => p.updatesPerStep), [1, 1, 0.15625, 0.15625]);
    for (const p of Object.values(peer)) assert.ok(p.cpu > 0 && p.wall > 0 && p.steps >= 2);
    assert.match(body[0], new RegExp(`\\| ${peer.sac.cpu.toFixed(2)} / \\S+ \\(\\d+ steps\\)`));
  }
});

Deno.test("formatThroughput: without the peer its columns are '-' and the note says why", () => {
  const report: ThroughputReport = {
    rows: [{
      case: TINY[0],
      timing: { envSteps: 300, afterSteps: 521, wallMs: 3000, cpuMs: 2400 },
    }],
    peer: "python3 not found",
    env: { id: "Hopper-v4", cpuMsPerStep: 0.1, steps: 2000 },
    backend: "wasm",
    threads: 1,
  };
  const text = formatThroughput(report);
  // 8 ms CPU and 10 ms wall per env step: 125 / 100 steps per second, 2.2 / 2.8 h per 1M
  assert.match(
    text,
    /\| SAC \| 300 \(521\) \| 125 \/ 100 \| 8\.00 \/ 10\.00 \| 2\.2 \/ 2\.8 \| - \| - \| - \/ - \|/,
  );
  assert.match(text, /- PyTorch: not measured \(python3 not found\)/);
  assert.equal(hoursPerMillion(3.6), 1);
});

// the replay peer without torch: an interpreter whose `import torch` fails
const python = ["python3", "/usr/bin/python3"].find((p) => {
  try {
    return new Deno.Command(p, { args: ["-c", ""] }).outputSync().success;
  } catch {
    return false;
  }
});

Deno.test({
  name: "torch_throughput.py without torch says how to install it and exits 0",
  ignore: python === undefined,
  fn: () => {
    const fake = Deno.makeTempDirSync();
    try {
      Deno.mkdirSync(`${fake}/torch`);
      Deno.writeTextFileSync(`${fake}/torch/__init__.py`, "raise ImportError('no torch')\n");
      const out = new Deno.Command(python!, {
        args: [PEER, "--json"],
        env: { PYTHONPATH: fake },
      }).outputSync();
      assert.ok(out.success);
      assert.match(new TextDecoder().decode(out.stdout), /PyTorch is not installed/);
    } finally {
      Deno.removeSync(fake, { recursive: true });
    }
  },
});
