import assert from "node:assert/strict";
import {
  policyFile,
  type RawConfig,
  resolveConfig,
  Rng,
  RUN_FILES,
  type RunStatus,
  RunStore,
} from "../../core/mod.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";
import {
  aggregateCurves,
  bootstrapInterval,
  iqm,
  percentile,
} from "../../scripts/experiments/report_stats.ts";
import { writeReport } from "../../scripts/report.ts";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("percentile interpolates linearly between order statistics", () => {
  assert.equal(percentile([4, 1, 3, 2], 0.5), 2.5);
  assert.equal(percentile([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(percentile([1, 2, 3, 4], 0), 1);
  assert.equal(percentile([1, 2, 3, 4], 1), 4);
  assert.equal(percentile([10, 20, 30, 40, 50], 0.1), 14);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

Deno.test("iqm drops floor(n/4) values at each end and averages the rest", () => {
  assert.equal(iqm([1, 2, 3, 4]), 2.5); // drops 1 and 4
  assert.equal(iqm([100, 1, 5, 2, 6, 3, 10, 4]), 4.5); // middle of 1..6,10,100: 3,4,5,6
  assert.equal(iqm([3, 1, 2]), 2); // fewer than 4: the plain mean
  assert.equal(iqm([-7, 1000, 0, 1, 2]), 1); // drops -7 and 1000
  assert.equal(iqm([5]), 5);
  assert.ok(Number.isNaN(iqm([])));
});

Deno.test("bootstrapInterval: seeded percentile bootstrap", () => {
  // one resample is one draw of indices from Rng(seed): reproduce it by hand
  const values = [1, 10, 100];
  const rng = new Rng(7);
  const sample = [0, 1, 2].map(() => values[rng.int(3)]);
  assert.deepEqual(bootstrapInterval(values, mean, { resamples: 1, seed: 7 }), [
    mean(sample),
    mean(sample),
  ]);
  // equal values have a degenerate interval
  assert.deepEqual(bootstrapInterval([3, 3, 3, 3], iqm), [3, 3]);
  // two values: resample means are 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4
  assert.deepEqual(bootstrapInterval([0, 1], mean, { resamples: 2000, seed: 1 }), [0, 1]);
  const a = bootstrapInterval([1, 5, 2, 8, 3], iqm, { seed: 3 });
  assert.deepEqual(a, bootstrapInterval([1, 5, 2, 8, 3], iqm, { seed: 3 }));
  assert.ok(a[0] <= iqm([1, 5, 2, 8, 3]) && iqm([1, 5, 2, 8, 3]) <= a[1] && a[0] >= 1 && a[1] <= 8);
  const narrow = bootstrapInterval([1, 5, 2, 8, 3], iqm, { seed: 3, confidence: 0.5 });
  assert.ok(narrow[0] >= a[0] && narrow[1] <= a[1]);
  assert.ok(bootstrapInterval([], mean).every(Number.isNaN));
});

Deno.test("aggregateCurves: mean and population std over the seeds at each step", () => {
  const points = aggregateCurves([
    [{ step: 100, mean: 1 }, { step: 200, mean: 4 }],
    [{ step: 100, mean: 3 }],
  ]);
  assert.deepEqual(points, [
    { step: 100, mean: 2, std: 1, n: 2 },
    { step: 200, mean: 4, std: 0, n: 1 },
  ]);
});

const registry = builtinRegistry();

function writeRun(
  dir: string,
  raw: RawConfig,
  evals: [number, number][],
  status: RunStatus["status"],
): RunStore {
  const { config } = resolveConfig(raw, registry);
  Deno.mkdirSync(dir);
  Deno.writeTextFileSync(`${dir}/${RUN_FILES.config}`, "{}");
  const store = RunStore.open(dir);
  store.writeConfig(config);
  for (const [step, ret] of evals) {
    store.appendMetrics({
      step,
      episodes: step / 200,
      "train/return_mean": ret - 10,
      "eval/return_mean": ret,
      "eval/return_std": 5,
      time_s: step / 100,
    });
  }
  store.writeStatus({ status, envSteps: evals[evals.length - 1]?.[0] ?? 0 });
  return store;
}

Deno.test("report: tables, curves and the DoubleWell scatter from synthetic run folders", async () => {
  const dir = Deno.makeTempDirSync();
  const pendulum = (algo: string, seed: number, K?: number) => ({
    algo,
    env: "Pendulum-v1",
    seed,
    steps: 200,
    ...(K ? { policyParams: { diffusionSteps: K } } : {}),
  });
  writeRun(`${dir}/sac-Pendulum-v1-s0`, pendulum("sac", 0), [[100, -400], [200, -150]], "finished");
  writeRun(`${dir}/sac-Pendulum-v1-s1`, pendulum("sac", 1), [[100, -300], [200, -250]], "finished");
  writeRun(
    `${dir}/diffsac-Pendulum-v1-K2-s0`,
    pendulum("diffsac", 0, 2),
    [[100, -500]],
    "interrupted",
  );
  const well = writeRun(
    `${dir}/sac-DoubleWell-v0-s0`,
    { algo: "sac", env: "DoubleWell-v0", steps: 300, policyParams: { hidden: [8] } },
    [[300, 0.5]],
    "finished",
  );
  const { config } = resolveConfig(well.readConfig(), registry);
  const env = registry.env(config.env).create(config.envParams);
  const policy = registry.policy(config.policy).create(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    config.policyParams,
    new Rng(0),
  );
  well.writeSnapshot(RUN_FILES.policy, policyFile(config, policy, 300));
  policy.dispose();
  Deno.writeTextFileSync(
    `${dir}/grid.json`,
    JSON.stringify({
      name: "synthetic",
      description: "made up",
      cells: [{
        name: "sac-Pendulum-v1-s2",
        algo: "sac",
        env: "Pendulum-v1",
        K: null,
        seed: 2,
        budget: 200,
      }],
    }),
  );

  const { html, svgs, markdown } = await writeReport(dir, { resamples: 500 });
  assert.equal(html, `${dir}/report.html`);
  const text = Deno.readTextFileSync(html);
  assert.match(text, /^<!DOCTYPE html>/);
  assert.match(text, /<h1>Experiment synthetic<\/h1>/);
  assert.ok((text.match(/<svg/g) ?? []).length >= 3, "curves per env and the scatter");
  assert.ok(!/<(script|img|link)\b/.test(text), "self-contained");
  // sac finals -150 and -250: mean -200, std 50; IQM of two values is their mean
  // their evaluations: s0 -400, -150 (mean -275), s1 -300, -250 (mean -275)
  assert.match(
    text,
    /<td>sac<\/td><td>2 \/ 2<\/td><td>-200\.0 ± 50\.0<\/td><td>-275\.0 ± 0\.0+<\/td>/,
  );
  assert.match(text, /<td>-200\.0 \[-250\.0, -150\.0\]<\/td>/);
  assert.match(text, /<td>s0: -150\.0, s1: -250\.0<\/td>/);
  assert.match(text, /<td>diffsac K=2<\/td><td>0 \/ 1<\/td><td>—<\/td>/);
  assert.match(
    text,
    /<td>sac-Pendulum-v1-s0<\/td><td>finished<\/td><td>200<\/td><td>2<\/td><td>100\.0<\/td>/,
  );
  assert.match(text, /diffsac-Pendulum-v1-K2-s0: interrupted at 100 env steps/);
  assert.match(text, /sac-Pendulum-v1-s2: missing \(no run folder\)/);
  assert.match(text, /DoubleWell-v0: sampled actions/);
  assert.match(text, /<td>sac-DoubleWell-v0-s0<\/td><td>0\.\d{3}<\/td><td>0\.\d{3}<\/td>/);
  assert.deepEqual(svgs.map((p) => p.slice(dir.length + 1)).sort(), [
    "report-actions-DoubleWell-v0.svg",
    "report-curves-DoubleWell-v0.svg",
    "report-curves-Pendulum-v1.svg",
  ]);
  for (const path of svgs) assert.match(Deno.readTextFileSync(path), /^<svg/);
  assert.equal(markdown, `${dir}/report.md`);
  const md = Deno.readTextFileSync(markdown);
  assert.match(md, /^# Experiment synthetic\n\nmade up\n/);
  assert.match(md, /\n## Pendulum-v1\n\n\| configuration \| finished seeds \|/);
  assert.match(
    md,
    /\n\| sac \| 2 \/ 2 \| -200\.0 ± 50\.0 \| -275\.0 ± 0\.0+ \| -200\.0 \[-250\.0, -150\.0\] \| s0: -150\.0, s1: -250\.0 \|/,
  );
  assert.match(md, /1 unfinished run\(s\), 1 expected run\(s\) without a folder/);
  Deno.removeSync(dir, { recursive: true });
});
