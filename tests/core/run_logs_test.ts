/**
 * Live logs: metrics.csv grows row by row, and the TensorBoard event files decode, with an
 * independent reader (framing and CRC-32C checked here with another library, protobuf wire
 * format decoded by hand), to exactly the rows of metrics.jsonl.
 */
import assert from "node:assert/strict";
import { crc32c } from "@aws-crypto/crc32c";
import { builtinRegistry, resolveConfig, RunStore, train, useBackend } from "../../mod.ts";
import { encodeEvent, EVENT_FILE_PREFIX, frameRecords } from "../../core/run_logs.ts";

await useBackend("wasm");

/** TensorFlow's CRC mask. */
function masked(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Splits a TFRecord file into its records, checking both CRCs of each. */
function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = Number(view.getBigUint64(at, true));
    assert.equal(view.getUint32(at + 8, true), masked(crc32c(bytes.subarray(at, at + 8))));
    const data = bytes.subarray(at + 12, at + 12 + length);
    assert.equal(view.getUint32(at + 12 + length, true), masked(crc32c(data)), "data CRC");
    records.push(data);
    at += 16 + length;
  }
  assert.equal(at, bytes.length, "no torn record at the end");
  return records;
}

/** Protocol-buffer wire format, by hand: field number -> values (numbers or byte slices). */
function fields(bytes: Uint8Array): Map<number, (number | bigint | Uint8Array)[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<number, (number | bigint | Uint8Array)[]>();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[at++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    let value: number | bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) {
      value = view.getFloat64(at, true);
      at += 8;
    } else if (wire === 5) {
      value = view.getFloat32(at, true);
      at += 4;
    } else if (wire === 2) {
      const n = Number(varint());
      value = bytes.subarray(at, at + n);
      at += n;
    } else throw new Error(`wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

/** An event: step, wall time, file version, and its scalars by tag. */
function decodeEvent(bytes: Uint8Array) {
  const f = fields(bytes);
  const scalars: Record<string, number> = {};
  const summary = f.get(5)?.[0] as Uint8Array | undefined;
  if (summary) {
    for (const value of fields(summary).get(1) ?? []) {
      const v = fields(value as Uint8Array);
      scalars[new TextDecoder().decode(v.get(1)![0] as Uint8Array)] = v.get(2)![0] as number;
    }
  }
  const version = f.get(3)?.[0] as Uint8Array | undefined;
  return {
    wallTime: f.get(1)![0] as number,
    step: Number(f.get(2)?.[0] ?? 0n),
    fileVersion: version ? new TextDecoder().decode(version) : undefined,
    scalars,
  };
}

function eventFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    n.startsWith(EVENT_FILE_PREFIX)
  );
}

/** Asserts the run's one event file holds exactly metrics.jsonl's rows (float32 values). */
function assertEventsMatchMetrics(dir: string): void {
  const files = eventFiles(dir);
  assert.equal(files.length, 1, `event files: ${files}`);
  const events = readRecords(Deno.readFileSync(`${dir}/${files[0]}`)).map(decodeEvent);
  assert.equal(events[0].fileVersion, "brain.Event:2");
  const rows = RunStore.open(dir).readMetrics();
  assert.equal(events.length - 1, rows.length);
  rows.forEach((row, i) => {
    const event = events[i + 1];
    assert.equal(event.step, row.step);
    assert.ok(Math.abs(event.wallTime - Date.now() / 1000) < 600);
    // a metric with no value yet (no finished episode: null in JSONL) has no scalar
    const metrics = Object.fromEntries(
      Object.entries(row).filter(([k, v]) => k !== "step" && Number.isFinite(v)),
    );
    assert.deepEqual(Object.keys(event.scalars).sort(), Object.keys(metrics).sort());
    for (const [tag, value] of Object.entries(metrics)) {
      assert.equal(event.scalars[tag], Math.fround(value), tag);
    }
  });
}

const registry = builtinRegistry();
const raw = {
  algo: "sac",
  env: "Pendulum-v1",
  steps: 400,
  logEvery: 50,
  evalEvery: 200,
  evalEpisodes: 1,
  checkpointEvery: 100,
  algoParams: { learningStarts: 100, batchSize: 16, criticHidden: [8] },
  policyParams: { hidden: [8] },
};

Deno.test("event records: framing and masked CRC-32C agree with an independent reader", () => {
  const bytes = frameRecords([
    encodeEvent({ wallTime: 1.5, step: 0, fileVersion: "brain.Event:2" }),
    encodeEvent({ wallTime: 2.25, step: 3_000_000_000, scalars: { "eval/return_mean": -0.073 } }),
  ]);
  const [first, second] = readRecords(bytes).map(decodeEvent);
  assert.deepEqual(first, { wallTime: 1.5, step: 0, fileVersion: "brain.Event:2", scalars: {} });
  assert.equal(second.step, 3_000_000_000);
  assert.equal(second.scalars["eval/return_mean"], Math.fround(-0.073));
  // a flipped data byte fails the data CRC
  const broken = bytes.slice();
  broken[14] ^= 1;
  assert.throws(() => readRecords(broken), /data CRC/);
});

Deno.test("training writes metrics.csv live and an event file that matches metrics.jsonl, also across a resume", async () => {
  const out = Deno.makeTempDirSync();
  const controller = new AbortController();
  let csvRowsSeen = -1;
  const result = await train(resolveConfig({ ...raw, out, name: "run" }, registry), {
    registry,
    signal: controller.signal,
    onRow: (row) => {
      // onRow comes before the row is written: the CSV holds every earlier row already
      const store = RunStore.open(`${out}/run`);
      const lines = store.has("metrics.csv")
        ? Deno.readTextFileSync(store.path("metrics.csv")).trim().split("\n").length - 1
        : 0;
      assert.equal(lines, store.readMetrics().length);
      csvRowsSeen = lines;
      if (row.step >= 250) controller.abort();
    },
  });
  assert.equal(result.status, "interrupted");
  assert.equal(csvRowsSeen, 4);
  assertEventsMatchMetrics(result.runDir);
  // the resume cuts back to the checkpoint (step 200) and the event file follows
  const resumed = await train(resolveConfig({ ...raw, out, name: "run" }, registry), {
    registry,
    resumeDir: result.runDir,
  });
  assert.equal(resumed.status, "finished");
  assertEventsMatchMetrics(result.runDir);
  const steps = RunStore.open(result.runDir).readMetrics().map((r) => r.step);
  assert.deepEqual(steps, [50, 100, 150, 200, 250, 300, 350, 400]);
  // the CSV is the one writeCsv would write
  const store = RunStore.open(result.runDir);
  const live = Deno.readTextFileSync(store.path("metrics.csv"));
  store.writeCsv();
  assert.equal(live, Deno.readTextFileSync(store.path("metrics.csv")));
});

Deno.test("tensorboard: false writes no event file", async () => {
  const out = Deno.makeTempDirSync();
  const result = await train(
    resolveConfig({ ...raw, steps: 100, out, name: "r", tensorboard: false }, registry),
    { registry },
  );
  assert.deepEqual(eventFiles(result.runDir), []);
  assert.ok(RunStore.open(result.runDir).has("metrics.csv"));
});
