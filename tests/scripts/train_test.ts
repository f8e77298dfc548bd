/**
 * The CLI end to end: a tiny real run, its run folder, evaluation, the example plugin, exact
 * resume after an interrupt, and every kind of bad input (one-line error, exit 2, nothing
 * existing touched).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const TRAIN = `${ROOT}scripts/train.ts`;
const EVAL = `${ROOT}scripts/eval.ts`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function deno(script: string, args: string[], cwd = ROOT): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Small networks and batches so a real SAC run takes a few seconds. */
const TINY_SAC = {
  algo: "sac",
  env: "Pendulum-v1",
  steps: 400,
  evalEvery: 200,
  evalEpisodes: 2,
  logEvery: 100,
  checkpointEvery: 200,
  algoParams: { learningStarts: 100, batchSize: 16, criticHidden: [16, 16] },
  policyParams: { hidden: [16, 16] },
};

function writeConfig(dir: string, config: unknown): string {
  const path = `${dir}/config-in.json`;
  Deno.writeTextFileSync(path, JSON.stringify(config));
  return path;
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

function stripTime(rows: Record<string, number>[]): Record<string, number>[] {
  return rows.map(({ time_s: _t, ...rest }) => rest);
}

function readRows(runDir: string): Record<string, number>[] {
  return Deno.readTextFileSync(`${runDir}/metrics.jsonl`).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
}

Deno.test("train CLI: a tiny SAC run writes a complete run folder, and eval reads it", async () => {
  const dir = Deno.makeTempDirSync();
  const cfg = writeConfig(dir, TINY_SAC);
  const run = await deno(TRAIN, ["--config", cfg, "--out", dir, "--name", "r", "--quiet"]);
  assert.equal(run.code, 0, run.stderr);
  const runDir = `${dir}/r`;
  const files = ["config.json", "metrics.jsonl", "metrics.csv", "checkpoint.bin", "policy.bin"];
  for (const f of [...files, "learning_curve.svg"]) {
    assert.ok(Deno.statSync(`${runDir}/${f}`).size > 0, f);
  }
  const config = JSON.parse(Deno.readTextFileSync(`${runDir}/config.json`));
  assert.equal(config.algoParams.learningStarts, 100);
  assert.equal(config.algoParams.gamma, 0.99, "defaults are resolved into config.json");
  assert.equal(JSON.parse(Deno.readTextFileSync(`${runDir}/run.json`)).status, "finished");
  const rows = readRows(runDir);
  assert.deepEqual(rows.map((r) => r.step), [100, 200, 300, 400]);
  assert.ok("eval/return_mean" in rows[1] && "eval/return_std" in rows[3]);
  assert.ok("q_loss" in rows[3] && "alpha" in rows[3]);
  const csv = Deno.readTextFileSync(`${runDir}/metrics.csv`).trim().split("\n");
  assert.equal(csv.length, 5);
  assert.ok(csv[0].startsWith("step,"));
  assert.match(run.stdout, /run folder: .*\/r/);
  const svg = Deno.readTextFileSync(`${runDir}/learning_curve.svg`);
  assert.match(svg, /^<svg/);
  assert.match(svg, /sac on Pendulum-v1 \(seed 0\)/);

  const ev = await deno(EVAL, [runDir, "--episodes", "3", "--json"]);
  assert.equal(ev.code, 0, ev.stderr);
  const result = JSON.parse(ev.stdout);
  assert.equal(result.returns.length, 3);
  assert.equal(result.envSteps, 400);
  assert.ok(result.mean < 0 && result.mean > -2000);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("train CLI: the example plugin adds an env, a policy and an algorithm", async () => {
  const dir = Deno.makeTempDirSync();
  const run = await deno(TRAIN, [
    "--plugin",
    "examples/point_mass_plugin.ts",
    "--algo",
    "random-search",
    "--env",
    "PointMass-v0",
    "--steps",
    "8000",
    "--eval-every",
    "4000",
    "--out",
    dir,
    "--name",
    "p",
    "--quiet",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const rows = readRows(`${dir}/p`);
  const evals = rows.filter((r) => "eval/return_mean" in r);
  assert.ok(evals.length >= 2);
  const config = JSON.parse(Deno.readTextFileSync(`${dir}/p/config.json`));
  assert.equal(config.policy, "linear");
  assert.ok(config.plugins[0].endsWith("examples/point_mass_plugin.ts"));
  // eval from another working folder still finds the plugin (its path is stored absolute)
  const ev = await deno(EVAL, [`${dir}/p`, "--episodes", "2"], dir);
  assert.equal(ev.code, 0, ev.stderr);
  assert.match(ev.stdout, /random-search on PointMass-v0/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("train CLI: Ctrl-C checkpoints, --resume continues and logs what an uninterrupted run logs", async () => {
  const dir = Deno.makeTempDirSync();
  const config = { ...TINY_SAC, steps: 1500, checkpointEvery: 100000 };
  const cfg = writeConfig(dir, config);
  const full = await deno(TRAIN, ["--config", cfg, "--out", dir, "--name", "full", "--quiet"]);
  assert.equal(full.code, 0, full.stderr);

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN, "--config", cfg, "--out", dir, "--name", "cut", "--quiet"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // interrupt once the run is past its first metrics rows
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      if (readRows(`${dir}/cut`).length >= 3) break;
    } catch { /* not yet written */ }
  }
  child.kill("SIGINT");
  const cut = await child.output();
  const stdout = new TextDecoder().decode(cut.stdout);
  assert.equal(cut.code, 130, new TextDecoder().decode(cut.stderr));
  assert.match(stdout, /interrupted at step \d+; checkpoint saved/);
  const status = JSON.parse(Deno.readTextFileSync(`${dir}/cut/run.json`));
  assert.equal(status.status, "interrupted");
  assert.ok(status.envSteps < 1500, "the interrupt landed before the end");

  const resumed = await deno(TRAIN, ["--resume", `${dir}/cut`, "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(stripTime(readRows(`${dir}/cut`)), stripTime(readRows(`${dir}/full`)));
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("train CLI: bad input gives one clear line, exit 2, and touches no existing run", async () => {
  const dir = Deno.makeTempDirSync();
  const cfg = writeConfig(dir, { ...TINY_SAC, steps: 150 });
  const ok = await deno(TRAIN, ["--config", cfg, "--out", dir, "--name", "good", "--quiet"]);
  assert.equal(ok.code, 0, ok.stderr);
  Deno.writeTextFileSync(`${dir}/notjson.json`, "{ nope");
  Deno.writeTextFileSync(`${dir}/array.json`, "[1, 2]");
  Deno.writeTextFileSync(`${dir}/unknown.json`, JSON.stringify({ algo: "sac", learningRate: 1 }));
  Deno.writeTextFileSync(
    `${dir}/badparam.json`,
    JSON.stringify({ algo: "sac", algoParams: { gamma: 2 } }),
  );
  Deno.writeTextFileSync(`${dir}/nodefault.ts`, "export const x = 1;\n");
  Deno.writeTextFileSync(`${dir}/notplugin.ts`, "export default { hello: 1 };\n");
  Deno.mkdirSync(`${dir}/notarun`);
  // a run whose checkpoint was cut short by a crash
  Deno.mkdirSync(`${dir}/torn`);
  for (const f of ["config.json", "metrics.jsonl", "run.json"]) {
    Deno.copyFileSync(`${dir}/good/${f}`, `${dir}/torn/${f}`);
  }
  const ckpt = Deno.readFileSync(`${dir}/good/checkpoint.bin`);
  Deno.writeFileSync(`${dir}/torn/checkpoint.bin`, ckpt.subarray(0, ckpt.length >> 1));

  const before = snapshotTree(dir);
  const cases: [string[], RegExp][] = [
    [["--algo", "nope"], /algo: unknown algorithm 'nope'; registered: sac, ppo/],
    [["--env", "Nope-v0"], /env: unknown env 'Nope-v0'; registered: Pendulum-v1/],
    [
      ["--backend", "tpu"],
      /backend: expected one of wasm, cpu, tensorflow, wasm-blas, auto, got "tpu"/,
    ],
    [["--steps", "-5"], /steps: expected an integer >= 1 <= 1000000000000, got -5/],
    [["--steps", "0"], /steps: expected an integer >= 1 <= 1000000000000, got 0/],
    [["--steps", "abc"], /--steps: expected an integer, got 'abc'/],
    [["--seed", "1.5"], /--seed: expected an integer, got '1.5'/],
    [["--num-envs", "0"], /numEnvs: expected an integer >= 1, got 0/],
    [["--frobnicate"], /unknown flag '--frobnicate'; allowed: --algo/],
    [["--config", `${dir}/missing.json`], /--config: file '.*missing.json' does not exist/],
    [["--config", `${dir}/notjson.json`], /--config: '.*notjson.json' is not valid JSON/],
    [["--config", `${dir}/array.json`], /--config: '.*array.json' must hold a JSON object/],
    [["--config", `${dir}/unknown.json`], /unknown key 'learningRate'; allowed: algo/],
    [["--config", `${dir}/badparam.json`], /algoParams.gamma: expected a number >= 0 <= 1, got 2/],
    [["--plugin", `${dir}/missing.ts`], /--plugin: file '.*missing.ts' does not exist/],
    [["--plugin", `${dir}/nodefault.ts`], /--plugin: '.*nodefault.ts' has no default export/],
    [["--plugin", `${dir}/notplugin.ts`], /plugin .*notplugin.ts: 'name' must be a non-empty/],
    [["--resume", `${dir}/nowhere`], /--resume: '.*nowhere' is not a folder/],
    [["--resume", `${dir}/notarun`], /--resume: '.*notarun' is not a run folder/],
    [["--resume", `${dir}/torn`], /checkpoint.bin: (checksum mismatch|file is truncated)/],
    [["--resume", `${dir}/good`, "--algo", "ppo"], /--algo: cannot be changed when resuming/],
    [["--policy", "nope"], /policy: unknown policy 'nope'; registered: gaussian/],
  ];
  for (const [args, pattern] of cases) {
    const extra = args.includes("--resume") ? ["--quiet"] : ["--out", dir, "--quiet"];
    const run = await deno(TRAIN, [...args, ...extra]);
    assert.equal(run.code, 2, `${args.join(" ")} should exit 2:\n${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line for ${args.join(" ")}: ${run.stderr}`);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0], pattern, args.join(" "));
  }
  assert.deepEqual(snapshotTree(dir), before, "no file was created, changed or removed");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("train CLI: --help lists the flags", async () => {
  const run = await deno(TRAIN, ["--help"]);
  assert.equal(run.code, 0);
  for (const flag of ["--algo", "--env", "--steps", "--seed", "--num-envs", "--backend", "--out"]) {
    assert.match(run.stdout, new RegExp(flag));
  }
  for (const flag of ["--config", "--plugin", "--resume", "--quiet"]) {
    assert.match(run.stdout, new RegExp(flag));
  }
});
