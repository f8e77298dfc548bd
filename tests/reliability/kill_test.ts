/**
 * SIGKILL at any moment: no torn file (atomic writes), a stale lock that the next resume takes
 * over, leftover temp files removed on resume, and the resumed run finishes.
 */
import assert from "node:assert/strict";
import { LOCK_FILE, RUN_FILES } from "../../core/mod.ts";
import { decodeSnapshot } from "../../core/serialize.ts";
import { deno, ROOT, TINY_SAC, tinyConfig, TRAIN } from "./helpers.ts";

Deno.test("SIGKILL mid-run: checkpoints intact, the stale lock taken over, temp files cleaned", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_kill_" });
  try {
    const args = [
      ...TINY_SAC,
      "--config",
      tinyConfig(dir),
      "--steps",
      "100000",
      "--checkpoint-every",
      "20",
      "--eval-every",
      "100000",
      "--out",
      dir,
      "--name",
      "r",
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", TRAIN, ...args],
      cwd: ROOT,
      stdout: "null",
      stderr: "null",
    }).spawn();
    const run = `${dir}/r`;
    // kill once a few checkpoints have been written
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        const status = JSON.parse(Deno.readTextFileSync(`${run}/${RUN_FILES.status}`));
        if (status.envSteps >= 200) break;
      } catch {
        // not there yet
      }
    }
    child.kill("SIGKILL");
    await child.status;
    const checkpoint = decodeSnapshot(Deno.readFileSync(`${run}/${RUN_FILES.checkpoint}`)) as {
      envSteps: number;
    };
    assert.ok(checkpoint.envSteps >= 200, `checkpoint at ${checkpoint.envSteps}`);
    assert.ok(Deno.statSync(`${run}/${LOCK_FILE}`).isFile, "the killed process left its lock");
    Deno.writeTextFileSync(`${run}/${RUN_FILES.checkpoint}.999999.tmp`, "half a checkpoint");
    const resumed = await deno(TRAIN, [
      "--resume",
      run,
      "--steps",
      String(checkpoint.envSteps + 40),
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const names = [...Deno.readDirSync(run)].map((e) => e.name);
    assert.deepEqual(names.filter((n) => n.endsWith(".tmp") || n === LOCK_FILE), []);
    const status = JSON.parse(Deno.readTextFileSync(`${run}/${RUN_FILES.status}`));
    assert.equal(status.status, "finished");
    assert.equal(status.envSteps, checkpoint.envSteps + 40);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
