/**
 * ONNX deployment end to end: a tiny SAC run writes policy.onnx, `deno task export` writes a
 * deterministic model, `eval --onnx` scores it as `eval` scores policy.bin, bad runs fail with
 * one line and touch nothing, and the plain Node.js example runs the exported model.
 */
import assert from "node:assert/strict";
import { OnnxActor, readModelMetadata } from "../../core/tensor/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TRAIN = `${ROOT}scripts/train.ts`;
const EVAL = `${ROOT}scripts/eval.ts`;
const EXPORT = `${ROOT}scripts/export.ts`;
const NODE_EXAMPLE = `${ROOT}examples/node_deploy/run_policy.cjs`;
/** Deno's copy of onnxruntime-node and its dependencies, for NODE_PATH. */
const ORT_NODE_PATH = `${ROOT}node_modules/.deno/onnxruntime-node@1.30.0/node_modules`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function command(
  exe: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const out = await new Deno.Command(exe, {
    args,
    cwd: options.cwd ?? ROOT,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

function deno(script: string, args: string[]): Promise<Run> {
  return command(Deno.execPath(), ["run", "-A", script, ...args]);
}

/** The TINY_SAC config of train_test.ts, 200 steps. */
const TINY_SAC = {
  algo: "sac",
  env: "Pendulum-v1",
  steps: 200,
  evalEvery: 200,
  evalEpisodes: 2,
  logEvery: 100,
  checkpointEvery: 200,
  algoParams: { learningStarts: 100, batchSize: 16, criticHidden: [16, 16] },
  policyParams: { hidden: [16, 16] },
};

const DIR = Deno.makeTempDirSync({ prefix: "dmerl-export-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(DIR, { recursive: true }));

let trained: Promise<string> | null = null;
/** One tiny trained run shared by the tests (trained on first use). */
function runDir(): Promise<string> {
  trained ??= (async () => {
    Deno.writeTextFileSync(`${DIR}/config-in.json`, JSON.stringify(TINY_SAC));
    const run = await deno(TRAIN, [
      "--config",
      `${DIR}/config-in.json`,
      "--out",
      DIR,
      "--name",
      "r",
      "--quiet",
    ]);
    assert.equal(run.code, 0, run.stderr);
    return `${DIR}/r`;
  })();
  return trained;
}

/** Every file under dir with its bytes, to prove nothing changed. */
function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else out.set(p, Array.from(Deno.readFileSync(p)).join(","));
    }
  };
  walk(dir);
  return out;
}

function oneErrorLine(run: Run, pattern: RegExp, label: string): void {
  assert.equal(run.code, 2, `${label} should exit 2:\n${run.stdout}\n${run.stderr}`);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line for ${label}: ${run.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern, label);
}

Deno.test("export CLI: a run has policy.onnx; export writes the deterministic model and describes it", async () => {
  const run = await runDir();
  const onnx = Deno.readFileSync(`${run}/policy.onnx`);
  const meta = readModelMetadata(onnx);
  assert.equal(meta.deterministic, "false");
  assert.equal(meta.env, "Pendulum-v1");
  assert.equal(meta.env_steps, "200");

  const out = `${DIR}/det.onnx`;
  const ex = await deno(EXPORT, [run, "--deterministic", "--out", out]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, new RegExp(`wrote ${out} \\(\\d+ bytes\\)`));
  assert.match(ex.stdout, /inputs: obs \[batch, 3\]\n/);
  assert.match(ex.stdout, /output: action \[batch, 1\] in \[-2\]\.\.\[2\]/);
  assert.match(ex.stdout, /opset: 17 \(ai\.onnx\), IR version 8/);
  const det = readModelMetadata(Deno.readFileSync(out));
  assert.equal(det.deterministic, "true");
  assert.equal(det.noise_steps, "0");
  assert.equal(det.algorithm, "sac");

  // the default file names; the stochastic export of policy.bin is the file training wrote
  const sto = await deno(EXPORT, [run]);
  assert.equal(sto.code, 0, sto.stderr);
  assert.match(sto.stdout, /inputs: obs \[batch, 3\], noise \[batch, 1, 1\]/);
  assert.deepEqual(Deno.readFileSync(`${run}/policy.onnx`), onnx);
  const def = await deno(EXPORT, [run, "--deterministic"]);
  assert.equal(def.code, 0, def.stderr);
  assert.deepEqual(Deno.readFileSync(`${run}/policy.deterministic.onnx`), Deno.readFileSync(out));
  assert.deepEqual(
    Array.from(Deno.readDirSync(run)).map((e) => e.name).filter((n) => n.endsWith(".tmp")),
    [],
    "no temp file left",
  );
});

Deno.test("eval CLI: --onnx scores the exported model as eval scores policy.bin", async () => {
  const run = await runDir();
  const reference = await deno(EVAL, [run, "--episodes", "3", "--json"]);
  assert.equal(reference.code, 0, reference.stderr);
  const tf = JSON.parse(reference.stdout);

  // policy.onnx is stochastic: a deterministic eval runs that file with zero noise
  const mem = await deno(EVAL, [run, "--onnx", "--episodes", "3", "--json"]);
  assert.equal(mem.code, 0, mem.stderr);
  const viaMemory = JSON.parse(mem.stdout);
  assert.equal(viaMemory.model, `${run}/policy.onnx, zero noise`);
  assert.equal(viaMemory.device, "cpu");

  const out = `${DIR}/det-eval.onnx`;
  assert.equal((await deno(EXPORT, [run, "--deterministic", "--out", out])).code, 0);
  const file = await deno(EVAL, [run, "--onnx", "--model", out, "--episodes", "3", "--json"]);
  assert.equal(file.code, 0, file.stderr);
  const viaFile = JSON.parse(file.stdout);
  assert.equal(viaFile.model, out);

  for (const onnx of [viaMemory, viaFile]) {
    assert.equal(onnx.envSteps, tf.envSteps);
    assert.equal(onnx.returns.length, 3);
    assert.deepEqual(onnx.lengths, tf.lengths);
    for (let i = 0; i < 3; i++) {
      assert.ok(
        Math.abs(onnx.returns[i] - tf.returns[i]) < 1e-3,
        `episode ${i}: onnx ${onnx.returns[i]} vs policy.bin ${tf.returns[i]}`,
      );
    }
  }

  // stochastic: policy.onnx itself with its noise input, seeded
  const s1 = await deno(EVAL, [run, "--onnx", "--stochastic", "--episodes", "2", "--json"]);
  const s2 = await deno(EVAL, [run, "--onnx", "--stochastic", "--episodes", "2", "--json"]);
  assert.equal(s1.code, 0, s1.stderr);
  const r1 = JSON.parse(s1.stdout);
  assert.equal(r1.model, `${run}/policy.onnx`);
  assert.deepEqual(JSON.parse(s2.stdout).returns, r1.returns, "seeded noise repeats");

  // text output names the model and the device actually used (CUDA falls back here)
  const text = await deno(EVAL, [
    run,
    "--onnx",
    "--model",
    out,
    "--episodes",
    "2",
    "--device",
    "cuda",
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /sac on Pendulum-v1 after 200 steps \(ONNX model: .*det-eval\.onnx; device (cpu|cuda)\)/,
  );
  if (text.stdout.includes("device cpu")) {
    assert.match(text.stderr.trim(), /^warning: CUDA is unavailable \(.+\); falling back to CPU$/);
  }
});

Deno.test("export and eval CLI: bad runs and flags give one error line, exit 2, and change nothing", async () => {
  const run = await runDir();
  const bad = `${DIR}/bad`;
  Deno.mkdirSync(bad);
  // a run that has not reached its first checkpoint: no policy.bin
  Deno.mkdirSync(`${bad}/untrained`);
  for (const f of ["config.json", "run.json"]) {
    Deno.copyFileSync(`${run}/${f}`, `${bad}/untrained/${f}`);
  }
  // a run whose policy.bin was cut short
  Deno.mkdirSync(`${bad}/torn`);
  for (const f of ["config.json", "run.json"]) Deno.copyFileSync(`${run}/${f}`, `${bad}/torn/${f}`);
  const policy = Deno.readFileSync(`${run}/policy.bin`);
  Deno.writeFileSync(`${bad}/torn/policy.bin`, policy.subarray(0, policy.length >> 1));
  Deno.mkdirSync(`${bad}/notarun`);
  Deno.writeTextFileSync(`${bad}/junk.onnx`, "not a model");
  const det = `${DIR}/det-bad.onnx`;
  assert.equal((await deno(EXPORT, [run, "--deterministic", "--out", det])).code, 0);

  const before = snapshotTree(bad);
  const runBefore = snapshotTree(run);
  const exportCases: [string[], RegExp][] = [
    [[`${bad}/untrained`], /RUN_DIR: '.*untrained' has no trained policy yet \(policy\.bin/],
    [[`${bad}/untrained`, "--deterministic"], /has no trained policy yet/],
    [[`${bad}/torn`], /policy\.bin: (checksum mismatch|file is truncated)/],
    [
      [`${bad}/torn`, "--out", `${bad}/x.onnx`],
      /policy\.bin: (checksum mismatch|file is truncated)/,
    ],
    [[`${bad}/nowhere`], /RUN_DIR: '.*nowhere' is not a folder/],
    [[`${bad}/notarun`], /RUN_DIR: '.*notarun' is not a run folder \(no config\.json\)/],
    [[], /RUN_DIR: give exactly one run folder/],
    [[run, "--out", `${bad}/no/such/dir/m.onnx`], /--out: folder '.*no\/such\/dir' does not exist/],
    [[run, "--out", bad], /--out: '.*bad' is a folder/],
    [
      [run, "--opset", "11"],
      /unknown flag '--opset'; allowed: --out, --deterministic, --force, --help/,
    ],
    [
      [run, "--out", `${run}/config.json`],
      /--out: '.*config\.json' exists; give another path or --force/,
    ],
  ];
  for (const [args, pattern] of exportCases) {
    oneErrorLine(await deno(EXPORT, args), pattern, `export ${args.join(" ")}`);
  }
  const evalCases: [string[], RegExp][] = [
    [[run, "--onnx", "--device", "gpu"], /--device: expected one of cpu, cuda, got 'gpu'/],
    [[run, "--device", "gpu"], /--device: expected one of cpu, cuda, got 'gpu'/],
    [[run, "--device", "cuda"], /--device: applies to --onnx only/],
    [[run, "--model", `${bad}/missing.onnx`], /--model: '.*missing\.onnx' does not exist/],
    [[run, "--model", `${bad}/junk.onnx`], /--model: '.*junk\.onnx' is not an ONNX model/],
    [
      [`${bad}/untrained`, "--onnx"],
      /--onnx: '.*untrained\/policy\.onnx' does not exist; export it/,
    ],
    [
      [run, "--onnx", "--model", det, "--stochastic"],
      /--stochastic: '.*det-bad\.onnx' is a deterministic export/,
    ],
  ];
  for (const [args, pattern] of evalCases) {
    oneErrorLine(await deno(EVAL, args), pattern, `eval ${args.join(" ")}`);
  }
  assert.deepEqual(snapshotTree(bad), before, "no file was created, changed or removed");
  assert.deepEqual(snapshotTree(run), runBefore, "the good run is untouched");
});

Deno.test("export CLI: --help lists the flags", async () => {
  const run = await deno(EXPORT, ["--help"]);
  assert.equal(run.code, 0);
  for (const flag of ["--out", "--deterministic", "--help"]) {
    assert.match(run.stdout, new RegExp(flag));
  }
  const ev = await deno(EVAL, ["--help"]);
  for (const flag of ["--onnx", "--model", "--device"]) assert.match(ev.stdout, new RegExp(flag));
});

/** `node` on PATH, or null. */
function nodeBinary(): string | null {
  try {
    const out = new Deno.Command("node", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return out.success ? "node" : null;
  } catch {
    return null;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const NODE = nodeBinary();
const SKIP_NODE = !NODE
  ? "node is not on PATH"
  : !exists(`${ORT_NODE_PATH}/onnxruntime-node`)
  ? `Deno's onnxruntime-node copy is not at ${ORT_NODE_PATH}`
  : null;

Deno.test({
  name: `node deploy example: plain Node.js runs the exported model and a Pendulum loop${
    SKIP_NODE ? ` (skipped: ${SKIP_NODE})` : ""
  }`,
  ignore: SKIP_NODE !== null,
  fn: async () => {
    const run = await runDir();
    const env = { NODE_PATH: ORT_NODE_PATH };
    const node = (args: string[]) => command(NODE!, [NODE_EXAMPLE, ...args], { cwd: DIR, env });

    // stochastic policy.onnx, a batch of zeros: act_dim-sized actions inside the Box
    const sto = await node([`${run}/policy.onnx`, "--batch", "4", "--seed", "3"]);
    assert.equal(sto.code, 0, sto.stderr);
    const out = JSON.parse(sto.stdout);
    assert.equal(out.env, "Pendulum-v1");
    assert.equal(out.obs_dim, 3);
    assert.equal(out.act_dim, 1);
    assert.equal(out.noise_steps, 1);
    assert.deepEqual([out.action_low, out.action_high], [[-2], [2]]);
    assert.equal(out.actions.length, 4);
    for (const row of out.actions) {
      assert.equal(row.length, 1);
      assert.ok(row[0] >= -2 && row[0] <= 2, `action ${row[0]} inside [-2, 2]`);
    }
    const again = await node([`${run}/policy.onnx`, "--batch", "4", "--seed", "3"]);
    assert.deepEqual(JSON.parse(again.stdout).actions, out.actions, "seeded noise repeats");

    // the deterministic model on observations from a file: the actions of OnnxActor
    const det = `${DIR}/det-node.onnx`;
    assert.equal((await deno(EXPORT, [run, "--deterministic", "--out", det])).code, 0);
    const rows = [[1, 0, 0], [0, 1, 0.5], [-0.6, 0.8, -3]];
    Deno.writeTextFileSync(`${DIR}/obs.json`, JSON.stringify(rows));
    const fromFile = await node([det, `${DIR}/obs.json`]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const nodeActions = JSON.parse(fromFile.stdout).actions.flat();
    const actor = await OnnxActor.create(det, { device: "cpu" });
    const expected = await actor.act(Float32Array.from(rows.flat()));
    await actor.release();
    assert.equal(nodeActions.length, 3);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(nodeActions[i] - expected[i]) < 1e-6);

    // the inline Pendulum-v1 loop
    for (const model of [det, `${run}/policy.onnx`]) {
      const pend = await node([model, "--pendulum-episodes", "3"]);
      assert.equal(pend.code, 0, pend.stderr);
      const result = JSON.parse(pend.stdout);
      assert.equal(result.episodes, 3);
      assert.equal(result.returns.length, 3);
      // per-step cost is at most pi^2 + 0.1 * 8^2 + 0.001 * 2^2 = 16.27, over 200 steps
      assert.ok(result.mean_return < 0 && result.mean_return > -16.3 * 200, pend.stdout);
    }

    // a missing model is one error line
    const missing = await node([`${DIR}/nope.onnx`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr.trim(), /^error: .*nope\.onnx/);
  },
});
