/**
 * Checkpoints written before the learner-layer remodel still load: run folders made by the
 * earlier code (tiny Pendulum-v1 runs of 300 steps, kept in tests/fixtures/pre_remodel/) are
 * extended with this code and must log, row for row, what the earlier code logged when it
 * extended the same folders (`continued.jsonl`).
 */
import assert from "node:assert/strict";
import { type RawConfig, resolveConfig, RunStore, train } from "../../core/mod.ts";
import { useBackend } from "../../core/tensor/mod.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";

await useBackend("wasm");

const FIXTURES = new URL("../fixtures/pre_remodel/", import.meta.url).pathname;
/** Steps the earlier code extended each run to (its rollouts make PPO's longer). */
const EXTENDED: Record<string, number> = {
  sac: 450,
  wpo: 450,
  diffsac: 450,
  diffwpo: 450,
  ppo: 1200,
  diffppo: 1200,
};

function rowsOf(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.trim()).map((l) => {
    const { time_s: _t, ...rest } = JSON.parse(l);
    return rest;
  });
}

for (const [algo, steps] of Object.entries(EXTENDED)) {
  Deno.test(`pre-remodel checkpoint: ${algo} resumes and continues as the earlier code did`, async () => {
    const dir = Deno.makeTempDirSync({ prefix: `dmerl_pre_remodel_${algo}_` });
    try {
      for (
        const f of ["config.json", "checkpoint.bin", "policy.bin", "metrics.jsonl", "run.json"]
      ) {
        Deno.copyFileSync(`${FIXTURES}${algo}/${f}`, `${dir}/${f}`);
      }
      const registry = builtinRegistry();
      const raw: RawConfig = { ...RunStore.open(dir).readConfig(), steps };
      const result = await train(resolveConfig(raw, registry), { registry, resumeDir: dir });
      assert.equal(result.status, "finished");
      const expected = rowsOf(Deno.readTextFileSync(`${FIXTURES}${algo}/continued.jsonl`));
      const got = rowsOf(Deno.readTextFileSync(`${dir}/metrics.jsonl`));
      assert.deepEqual(got, expected);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}
