import assert from "node:assert/strict";
import { type MetricsRow, RUN_FILES, RunStore } from "../../core/run_store.ts";
import type { RunConfig } from "../../core/config.ts";
import { throwsConfig } from "../helpers.ts";

/** Runs `fn` with a fresh temp folder, removed afterwards. */
function withTempDir(fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_runstore_" });
  try {
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("RunStore.create: never reuses an existing folder", () => {
  withTempDir((dir) => {
    const out = `${dir}/runs/nested`;
    const a = RunStore.create(out, "exp");
    assert.equal(a.dir, `${out}/exp`);
    assert.ok(Deno.statSync(a.dir).isDirectory);
    Deno.writeTextFileSync(a.path("marker"), "a");
    const b = RunStore.create(out, "exp");
    assert.equal(b.dir, `${out}/exp-1`);
    const c = RunStore.create(out, "exp");
    assert.equal(c.dir, `${out}/exp-2`);
    // A plain file with the name is not overwritten either.
    Deno.writeTextFileSync(`${out}/other`, "not a run");
    const d = RunStore.create(out, "other");
    assert.equal(d.dir, `${out}/other-1`);
    assert.equal(Deno.readTextFileSync(`${out}/other`), "not a run");
    assert.equal(Deno.readTextFileSync(`${out}/exp/marker`), "a");
    assert.deepEqual(listDir(b.dir), []);
    assert.deepEqual(listDir(out), ["exp", "exp-1", "exp-2", "other", "other-1"]);
  });
});

Deno.test("RunStore.open: non-folders and folders without config.json are ConfigErrors", () => {
  withTempDir((dir) => {
    throwsConfig(() => RunStore.open(`${dir}/missing`), "resume", "missing", "is not a folder");
    Deno.writeTextFileSync(`${dir}/file.txt`, "x");
    throwsConfig(() => RunStore.open(`${dir}/file.txt`, "runDir"), "runDir", "is not a folder");
    Deno.mkdirSync(`${dir}/empty`);
    throwsConfig(
      () => RunStore.open(`${dir}/empty`),
      "resume",
      "is not a run folder (no config.json)",
    );
    // A real run folder opens; a trailing slash is dropped.
    const store = RunStore.create(dir, "run");
    store.writeConfig({ algo: "sac" } as unknown as RunConfig);
    const opened = RunStore.open(`${store.dir}/`);
    assert.equal(opened.dir, store.dir);
    assert.deepEqual(opened.readConfig(), { algo: "sac" });
    assert.equal(opened.has(RUN_FILES.config), true);
    assert.equal(opened.has(RUN_FILES.metrics), false);
  });
});

Deno.test("RunStore: appendMetrics/readMetrics round trip and skip a torn last line", () => {
  withTempDir((dir) => {
    const store = RunStore.create(dir, "run");
    assert.deepEqual(store.readMetrics(), []);
    const rows: MetricsRow[] = [{ step: 100, loss: 0.5 }, { step: 200, loss: 0.25, ret: -1000.5 }];
    for (const r of rows) store.appendMetrics(r);
    assert.deepEqual(store.readMetrics(), rows);
    // A crash mid-append leaves half a line.
    Deno.writeTextFileSync(store.path(RUN_FILES.metrics), '{"step": 300, "lo', { append: true });
    assert.deepEqual(store.readMetrics(), rows);
    const text = Deno.readTextFileSync(store.path(RUN_FILES.metrics));
    assert.equal(text.split("\n").length, 3, "appends one JSON line per row");
  });
});

Deno.test("RunStore.truncateMetrics keeps step <= N and rewrites the CSV", () => {
  withTempDir((dir) => {
    const store = RunStore.create(dir, "run");
    store.appendMetrics({ step: 1000, loss: 1 });
    store.appendMetrics({ step: 2000, loss: 0.5, evalReturn: -300 });
    store.appendMetrics({ step: 3000, alpha: 0.2, loss: 0.25 });
    store.appendMetrics({ step: 4000, loss: 0.1, late: 7 });
    Deno.writeTextFileSync(store.path(RUN_FILES.metrics), '{"step": 5000, "lo', { append: true });
    store.writeCsv();
    assert.ok(Deno.readTextFileSync(store.path(RUN_FILES.metricsCsv)).startsWith("step,loss,"));

    store.truncateMetrics(3000);
    const kept = [
      { step: 1000, loss: 1 },
      { step: 2000, loss: 0.5, evalReturn: -300 },
      { step: 3000, alpha: 0.2, loss: 0.25 },
    ];
    assert.deepEqual(store.readMetrics(), kept);
    // The JSONL file itself is rewritten: no torn line, no later rows.
    assert.equal(
      Deno.readTextFileSync(store.path(RUN_FILES.metrics)),
      kept.map((r) => JSON.stringify(r) + "\n").join(""),
    );
    // CSV: the union of the kept rows' columns, step first; 'late' is gone.
    assert.equal(
      Deno.readTextFileSync(store.path(RUN_FILES.metricsCsv)),
      "step,loss,evalReturn,alpha\n1000,1,,\n2000,0.5,-300,\n3000,0.25,,0.2\n",
    );
    // Appending after truncation continues cleanly.
    store.appendMetrics({ step: 4000, loss: 0.05 });
    assert.deepEqual(store.readMetrics(), [...kept, { step: 4000, loss: 0.05 }]);

    store.truncateMetrics(0);
    assert.deepEqual(store.readMetrics(), []);
    assert.equal(Deno.readTextFileSync(store.path(RUN_FILES.metricsCsv)), "step\n");
    assert.deepEqual(listDir(store.dir), [RUN_FILES.metricsCsv, RUN_FILES.metrics].sort());
  });
});

Deno.test("RunStore: status and snapshot files", () => {
  withTempDir((dir) => {
    const store = RunStore.create(dir, "run");
    assert.equal(store.readStatus(), null);
    store.writeStatus({ status: "running", envSteps: 10 });
    const status = store.readStatus()!;
    assert.equal(status.status, "running");
    assert.equal(status.envSteps, 10);
    assert.ok(!Number.isNaN(Date.parse(status.updatedAt)));

    const value = { w: Float32Array.from([1, 2, 3]), step: 7 };
    store.writeSnapshot(RUN_FILES.checkpoint, value);
    assert.deepEqual(store.readSnapshot(RUN_FILES.checkpoint), value);
    throwsConfig(() => store.readSnapshot(RUN_FILES.policy), "policy.bin", "does not exist");
    const path = store.path(RUN_FILES.checkpoint);
    const bytes = Deno.readFileSync(path);
    Deno.writeFileSync(path, bytes.subarray(0, bytes.length - 9));
    throwsConfig(() => store.readSnapshot(RUN_FILES.checkpoint), path, "truncated or corrupted");
    // No temp files are left behind by the atomic writes.
    assert.deepEqual(listDir(store.dir), [RUN_FILES.checkpoint, RUN_FILES.status].sort());
  });
});
