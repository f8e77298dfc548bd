/**
 * The run folder's live logs beside metrics.jsonl: `metrics.csv` kept current row by row, and
 * TensorBoard event files (`events.out.tfevents.*`), one scalar per metrics key per row, so
 * TensorBoard and the tools that import its logs read a run as it trains.
 *
 * Event files are TFRecord files of `tensorflow.Event` protocol buffers: the messages are
 * encoded with protobufjs from the subset of TensorBoard's `event.proto` and `summary.proto`
 * below (same field numbers), and framed (length, masked CRC-32C of it, data, masked CRC-32C
 * of the data) by @roboflow/tfrecords.
 */
import { Buffer } from "node:buffer";
import protobuf from "protobufjs";
import * as tfrecords from "@roboflow/tfrecords";
import { type MetricsRow, RUN_FILES, type RunStore } from "./run_store.ts";

/** What TensorBoard reads: Event and Summary with the fields scalars need. */
const TENSORBOARD_PROTO = `
syntax = "proto3";
package tensorflow;
message Summary {
  message Value {
    string tag = 1;
    float simple_value = 2;
  }
  repeated Value value = 1;
}
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}
`;

const EVENT = protobuf.parse(TENSORBOARD_PROTO).root.lookupType("tensorflow.Event");

/** The TFRecord framing of @roboflow/tfrecords (the package ships no types). */
const framing = (tfrecords as unknown as {
  TFRecordsBuilder: { buildTFRecords(records: Buffer[]): Buffer };
}).TFRecordsBuilder;

/** Prefix of TensorBoard event file names (TensorBoard finds files containing "tfevents"). */
export const EVENT_FILE_PREFIX = "events.out.tfevents.";

/** One `tensorflow.Event` as bytes: the file version, or scalars of one step. */
export function encodeEvent(
  event: { wallTime: number; step: number; fileVersion?: string; scalars?: MetricsRow },
): Uint8Array {
  const message: Record<string, unknown> = { wallTime: event.wallTime, step: event.step };
  if (event.fileVersion !== undefined) message.fileVersion = event.fileVersion;
  if (event.scalars) {
    message.summary = {
      value: Object.entries(event.scalars).map(([tag, simpleValue]) => ({ tag, simpleValue })),
    };
  }
  return EVENT.encode(EVENT.fromObject(message)).finish();
}

/** TFRecord framing of records, ready to append to an event file. */
export function frameRecords(records: Uint8Array[]): Uint8Array {
  return new Uint8Array(framing.buildTFRecords(records.map((r) => Buffer.from(r))));
}

/** A row's scalars for TensorBoard: every finite metric but the step itself. */
function scalarsOf(row: MetricsRow): MetricsRow {
  const out: MetricsRow = {};
  for (const [key, value] of Object.entries(row)) {
    if (key !== "step" && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

/**
 * Writes `metrics.csv` and (unless `tensorboard` is false) an event file as rows arrive. On
 * resume the metrics log has already been cut back to the checkpoint; the event files are
 * replaced by one holding exactly those rows, so TensorBoard never shows the steps that are
 * trained again.
 */
export class LiveRunLogs {
  private readonly columns: string[] = ["step"];
  private readonly eventPath: string | null;

  /** Opens the logs of `store`, rewriting the event file from the rows it already holds. */
  constructor(private readonly store: RunStore, options: { tensorboard: boolean }) {
    const rows = store.readMetrics();
    for (const row of rows) this.addColumns(row);
    for (const entry of Deno.readDirSync(store.dir)) {
      if (entry.isFile && entry.name.startsWith(EVENT_FILE_PREFIX)) {
        Deno.removeSync(store.path(entry.name));
      }
    }
    if (!options.tensorboard) {
      this.eventPath = null;
      return;
    }
    const now = Date.now() / 1000;
    this.eventPath = store.path(`${EVENT_FILE_PREFIX}${Math.floor(now)}.dmerl`);
    const records = [encodeEvent({ wallTime: now, step: 0, fileVersion: "brain.Event:2" })];
    for (const row of rows) {
      records.push(encodeEvent({ wallTime: now, step: row.step, scalars: scalarsOf(row) }));
    }
    Deno.writeFileSync(this.eventPath, frameRecords(records));
  }

  /** Logs one row that has just been appended to metrics.jsonl. */
  write(row: MetricsRow): void {
    if (this.addColumns(row)) {
      // a new column (the first evaluation, a new loss): the header changes, rewrite it all
      this.store.writeCsv();
    } else {
      const line = this.columns.map((c) => (c in row ? String(row[c]) : "")).join(",");
      Deno.writeTextFileSync(this.store.path(RUN_FILES.metricsCsv), line + "\n", { append: true });
    }
    if (this.eventPath) {
      const event = encodeEvent({
        wallTime: Date.now() / 1000,
        step: row.step,
        scalars: scalarsOf(row),
      });
      Deno.writeFileSync(this.eventPath, frameRecords([event]), { append: true });
    }
  }

  /** Adds the row's new keys to the columns (as RunStore.writeCsv orders them). */
  private addColumns(row: MetricsRow): boolean {
    let added = false;
    for (const key of Object.keys(row)) {
      if (!this.columns.includes(key)) {
        this.columns.push(key);
        added = true;
      }
    }
    return added;
  }
}
