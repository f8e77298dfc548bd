/**
 * One writer per run folder: a second trainer of a running run is refused with one line and
 * exit 2 while eval and export still read it; a lock whose process is gone is taken over.
 */
import assert from "node:assert/strict";
import { LOCK_FILE, RUN_FILES, RunLock } from "../../core/mod.ts";
import { throwsConfig } from "../helpers.ts";
import { deno, EVAL, oneErrorLine, ROOT, TINY_SAC, tinyConfig, TRAIN } from "./helpers.ts";

/** Waits until `path` exists (or fails after `ms`). */
async function waitFor(path: string, ms = 60_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      Deno.statSync(path);
      return;
    } catch {
      if (Date.now() - start > ms) throw new Error(`${path} did not appear`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

Deno.test("run lock: a second trainer is refused while the first runs; eval still reads the run", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_lock_" });
  try {
    const config = tinyConfig(dir);
    const first = await deno(TRAIN, [
      ...TINY_SAC,
      "--config",
      config,
      "--steps",
      "200",
      "--out",
      dir,
      "--name",
      "r",
    ]);
    assert.equal(first.code, 0, first.stderr);
    const run = `${dir}/r`;
    // a long resume holds the lock
    const holder = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", TRAIN, "--resume", run, "--steps", "1000000", "--quiet"],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      await waitFor(`${run}/${LOCK_FILE}`);
      const lock = JSON.parse(Deno.readTextFileSync(`${run}/${LOCK_FILE}`));
      assert.equal(lock.pid, holder.pid);
      const second = await deno(TRAIN, ["--resume", run, "--steps", "2000000", "--quiet"]);
      oneErrorLine(
        second,
        2,
        new RegExp(`--resume: '.*r' is being trained by process ${holder.pid} on `),
        "second writer",
      );
      const reader = await deno(EVAL, [run, "--episodes", "1", "--json"]);
      assert.equal(reader.code, 0, reader.stderr);
    } finally {
      holder.kill("SIGTERM");
      const status = await holder.status;
      await holder.stderr.cancel();
      assert.equal(status.code, 130, "SIGTERM saves a checkpoint and exits 130");
    }
    assert.throws(() => Deno.statSync(`${run}/${LOCK_FILE}`), "the lock is released on exit");
    const status = JSON.parse(Deno.readTextFileSync(`${run}/${RUN_FILES.status}`));
    assert.equal(status.status, "interrupted");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("run lock: a lock left by a process that is gone is taken over; a live one is not", () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_lock_" });
  try {
    // a pid that is not running (beyond the kernel's default pid range)
    Deno.writeTextFileSync(
      `${dir}/${LOCK_FILE}`,
      JSON.stringify({ pid: 4_999_999, host: Deno.hostname(), startedAt: "then" }),
    );
    const lock = RunLock.acquire(dir);
    assert.equal(JSON.parse(Deno.readTextFileSync(`${dir}/${LOCK_FILE}`)).pid, Deno.pid);
    throwsConfig(() => RunLock.acquire(dir), `is being trained by process ${Deno.pid}`);
    lock.release();
    // a torn lock file (a crash while it was written) counts as stale
    Deno.writeTextFileSync(`${dir}/${LOCK_FILE}`, '{"pid": 12');
    RunLock.acquire(dir).release();
    // another host's lock is live until it has not been refreshed for a while
    Deno.writeTextFileSync(
      `${dir}/${LOCK_FILE}`,
      JSON.stringify({ pid: 1, host: "elsewhere", startedAt: "now" }),
    );
    throwsConfig(() => RunLock.acquire(dir), "on elsewhere");
    const old = new Date(Date.now() - 10 * 60_000);
    Deno.utimeSync(`${dir}/${LOCK_FILE}`, old, old);
    RunLock.acquire(dir).release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
