/**
 * A full disk: the run stops with the disk's own error, leaves no temp files, and its previous
 * checkpoint stays intact and resumable once space is freed. Needs a small tmpfs (root on
 * Linux); skips with the reason elsewhere.
 */
import assert from "node:assert/strict";
import { type RawConfig, resolveConfig, RunFailedError, RunStore, train } from "../../core/mod.ts";
import { decodeSnapshot } from "../../core/serialize.ts";
import { useBackend } from "../../core/tensor/mod.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";

await useBackend("wasm");

async function mountTmpfs(dir: string, size: string): Promise<string | null> {
  if (Deno.build.os !== "linux") return "tmpfs mounts are a Linux feature";
  try {
    const out = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
      stdout: "null",
      stderr: "piped",
    }).output();
    return out.success ? null : new TextDecoder().decode(out.stderr).trim() || "mount failed";
  } catch (e) {
    return (e as Error).message;
  }
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stdout: "null", stderr: "null" }).output();
}

/** Fills the file system holding `dir` until it refuses more bytes. */
function fillDisk(path: string): void {
  const file = Deno.openSync(path, { write: true, create: true });
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (;;) file.writeSync(chunk);
  } catch {
    // full
  } finally {
    file.close();
  }
}

const mountPoint = Deno.makeTempDirSync({ prefix: "dmerl_fulldisk_" });
const skip = await mountTmpfs(mountPoint, "2m");
if (skip === null) await unmount(mountPoint);
Deno.removeSync(mountPoint);

Deno.test({
  name: "full disk: the original error, no temp files left, the previous checkpoint resumes",
  ignore: skip !== null,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "dmerl_fulldisk_" });
    assert.equal(await mountTmpfs(dir, "2m"), null);
    try {
      const registry = builtinRegistry();
      const raw: RawConfig = {
        algo: "sac",
        env: "Pendulum-v1",
        steps: 300,
        evalEvery: 100,
        evalEpisodes: 1,
        logEvery: 50,
        checkpointEvery: 200,
        backend: "wasm",
        out: dir,
        name: "r",
        algoParams: { learningStarts: 50, batchSize: 16, criticHidden: [8, 8] },
        policyParams: { hidden: [8, 8] },
      };
      const filler = `${dir}/filler`;
      await assert.rejects(
        () =>
          train(resolveConfig(raw, registry), {
            registry,
            onRow: (row) => {
              if (row.step === 150) fillDisk(filler);
            },
          }),
        (e: Error) => e instanceof RunFailedError && /No space left on device/.test(e.message),
      );
      const run = `${dir}/r`;
      const names = [...Deno.readDirSync(run)].map((e) => e.name);
      assert.deepEqual(names.filter((n) => n.endsWith(".tmp")), [], "no temp files left");
      const checkpoint = decodeSnapshot(Deno.readFileSync(`${run}/checkpoint.bin`)) as {
        envSteps: number;
      };
      assert.equal(checkpoint.envSteps, 100, "the checkpoint before the first evaluation");
      Deno.removeSync(filler);
      const config = RunStore.open(run).readConfig();
      const resumed = await train(resolveConfig(config, registry), { registry, resumeDir: run });
      assert.equal(resumed.status, "finished");
      assert.equal(resumed.envSteps, 300);
    } finally {
      await unmount(dir);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
