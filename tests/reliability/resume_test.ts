/**
 * What --resume promises: an interrupted-and-resumed run logs what an uninterrupted one logs
 * (also when an evaluation crashed), and an extended run equals, row for row, one started with
 * the larger budget (the replay buffer holds exactly the same transitions).
 */
import assert from "node:assert/strict";
import {
  definePlugin,
  type RawConfig,
  resolveConfig,
  RunFailedError,
  RunStore,
  train,
} from "../../core/mod.ts";
import { useBackend } from "../../core/tensor/mod.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { assertResumeReproducesRun } from "../helpers.ts";

await useBackend("wasm");

const TINY = {
  algoParams: { learningStarts: 50, batchSize: 16, criticHidden: [8, 8] },
  policyParams: { hidden: [8, 8] },
  evalEpisodes: 1,
  evalEvery: 100,
  logEvery: 50,
  checkpointEvery: 1000,
  backend: "wasm",
};

function rows(dir: string): Record<string, number>[] {
  return RunStore.open(dir, "runDir").readMetrics().map(({ time_s: _t, ...rest }) => rest);
}

Deno.test("resume: an interrupted SAC run resumed equals the uninterrupted run, row for row", async () => {
  const { rows: full, cutSteps } = await assertResumeReproducesRun(
    { ...TINY, algo: "sac", env: "Pendulum-v1", steps: 300 },
    150,
  );
  assert.ok(cutSteps >= 150 && cutSteps < 300);
  assert.equal(full.at(-1)?.step, 300);
});

Deno.test("resume: extending a finished SAC run equals a run started with the larger budget", async () => {
  const registry = builtinRegistry();
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_extend_" });
  try {
    const raw: RawConfig = { ...TINY, algo: "sac", env: "Pendulum-v1", out: dir };
    await train(resolveConfig({ ...raw, steps: 600, name: "direct" }, registry), { registry });
    const short = await train(resolveConfig({ ...raw, steps: 300, name: "extended" }, registry), {
      registry,
    });
    assert.equal(short.status, "finished");
    const config = { ...JSON.parse(Deno.readTextFileSync(`${dir}/extended/config.json`)) };
    const extended = await train(resolveConfig({ ...config, steps: 600 }, registry), {
      registry,
      resumeDir: `${dir}/extended`,
    });
    assert.equal(extended.status, "finished");
    assert.deepEqual(rows(`${dir}/extended`), rows(`${dir}/direct`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("resume: a run whose first evaluation crashed resumes from the checkpoint written before it", async () => {
  // an env whose construction fails while `broken` is set: the evaluation's envs break
  let broken = false;
  const flaky = definePlugin({
    name: "flaky",
    envs: {
      "FlakyPendulum-v1": {
        description: "Pendulum-v1 whose construction fails on demand",
        create: (params) => {
          if (broken) throw new Error("the evaluation env could not be built");
          return createPendulum(params);
        },
      },
    },
  });
  const registry = builtinRegistry();
  registry.register(flaky);
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_evalcrash_" });
  try {
    const raw: RawConfig = { ...TINY, algo: "sac", env: "FlakyPendulum-v1", steps: 300, out: dir };
    await train(resolveConfig({ ...raw, name: "full" }, registry), { registry });
    await assert.rejects(
      () =>
        train(resolveConfig({ ...raw, name: "crash" }, registry), {
          registry,
          onStart: () => {
            broken = true;
          },
        }),
      (e: Error) => e instanceof RunFailedError && /could not be built/.test(e.message),
    );
    broken = false;
    const status = RunStore.open(`${dir}/crash`, "runDir").readStatus();
    assert.equal(status?.status, "failed");
    assert.equal(status?.envSteps, 100, "the checkpoint before the first evaluation (step 100)");
    const resumed = await train(resolveConfig({ ...raw, name: "crash" }, registry), {
      registry,
      resumeDir: `${dir}/crash`,
    });
    assert.equal(resumed.status, "finished");
    assert.deepEqual(rows(`${dir}/crash`), rows(`${dir}/full`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
