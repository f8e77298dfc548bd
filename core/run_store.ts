/**
 * The run folder: resolved config, metrics (JSONL and CSV), checkpoints, the policy file and a
 * status file. Every whole-file write is atomic (temp file + rename), so a crash or Ctrl-C
 * never leaves a torn checkpoint or config behind.
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "./schema.ts";
import { decodeSnapshot, encodeSnapshot, TEMP_SUFFIX, writeFileAtomicSync } from "./serialize.ts";
import { checkRunName, type RunConfig } from "./config.ts";

/** File names inside a run folder. */
export const RUN_FILES = {
  config: "config.json",
  status: "run.json",
  metrics: "metrics.jsonl",
  metricsCsv: "metrics.csv",
  checkpoint: "checkpoint.bin",
  policy: "policy.bin",
  onnx: "policy.onnx",
} as const;

/** One row of metrics.jsonl. */
export type MetricsRow = Record<string, number>;

/** Contents of run.json. */
export interface RunStatus {
  status: "running" | "interrupted" | "finished" | "failed";
  envSteps: number;
  updatedAt: string;
  error?: string;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/**
 * The folder that receives run folders exists as a writable folder, or can be created: a file
 * there, or a folder this process cannot write into, is a {@link ConfigError}. Creates nothing.
 */
export function checkOutFolder(out: string): void {
  let probe = out;
  for (;;) {
    let info: Deno.FileInfo | null = null;
    try {
      info = Deno.statSync(probe);
    } catch {
      info = null;
    }
    if (info) {
      if (!info.isDirectory) {
        throw new ConfigError(
          probe === out ? `out: '${out}' is a file, not a folder` : `out: '${probe}' is a file`,
        );
      }
      if (!writable(probe)) throw new ConfigError(`out: '${probe}' is not writable`);
      return;
    }
    const parent = dirname(probe);
    if (parent === probe) return;
    probe = parent;
  }
}

/** Whether this process may create files in `dir` (tried, then undone). */
function writable(dir: string): boolean {
  const probe = `${dir}/.dmerl-write-probe-${Deno.pid}`;
  try {
    Deno.writeTextFileSync(probe, "");
    Deno.removeSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** Handle on one run folder. */
export class RunStore {
  private constructor(readonly dir: string) {}

  /**
   * Creates a new run folder `out/name`; when the name is taken a numeric suffix is added, so
   * an existing run is never written into.
   */
  static create(out: string, name: string): RunStore {
    checkRunName(name);
    checkOutFolder(out);
    let dir = `${out}/${name}`;
    for (let i = 1; existsSync(dir); i++) dir = `${out}/${name}-${i}`;
    try {
      Deno.mkdirSync(out, { recursive: true });
      Deno.mkdirSync(dir);
    } catch (e) {
      throw new ConfigError(`out: cannot create '${dir}': ${firstLine(e)}`);
    }
    return new RunStore(dir);
  }

  /**
   * Removes temp files that failed atomic writes left behind (a crash mid-write, a full disk);
   * call it while holding the run's lock.
   */
  removeTempFiles(): string[] {
    const removed: string[] = [];
    for (const entry of Deno.readDirSync(this.dir)) {
      if (entry.isFile && entry.name.endsWith(TEMP_SUFFIX)) {
        Deno.removeSync(this.path(entry.name));
        removed.push(entry.name);
      }
    }
    return removed;
  }

  /** Opens an existing run folder; `field` names it in errors (the CLI words it as a flag). */
  static open(dir: string, field = "resume"): RunStore {
    if (!existsSync(dir) || !Deno.statSync(dir).isDirectory) {
      throw new ConfigError(`${field}: '${dir}' is not a folder`);
    }
    if (!existsSync(`${dir}/${RUN_FILES.config}`)) {
      throw new ConfigError(`${field}: '${dir}' is not a run folder (no ${RUN_FILES.config})`);
    }
    return new RunStore(dir.replace(/\/+$/, ""));
  }

  /** Path of a file inside the run. */
  path(file: string): string {
    return `${this.dir}/${file}`;
  }

  /** True when the run has the file. */
  has(file: string): boolean {
    return existsSync(this.path(file));
  }

  /** Writes the resolved config. */
  writeConfig(config: RunConfig): void {
    writeFileAtomicSync(this.path(RUN_FILES.config), JSON.stringify(config, null, 2) + "\n");
  }

  /** Reads the resolved config (raw; the caller re-validates it). */
  readConfig(): Record<string, unknown> {
    const path = this.path(RUN_FILES.config);
    try {
      return JSON.parse(Deno.readTextFileSync(path));
    } catch (e) {
      throw new ConfigError(`run config '${path}' cannot be read: ${(e as Error).message}`);
    }
  }

  /** Writes run.json. */
  writeStatus(status: Omit<RunStatus, "updatedAt">): void {
    const full: RunStatus = { ...status, updatedAt: new Date().toISOString() };
    writeFileAtomicSync(this.path(RUN_FILES.status), JSON.stringify(full, null, 2) + "\n");
  }

  /** Reads run.json, or null when missing. */
  readStatus(): RunStatus | null {
    if (!this.has(RUN_FILES.status)) return null;
    return JSON.parse(Deno.readTextFileSync(this.path(RUN_FILES.status)));
  }

  /** Appends one metrics row. */
  appendMetrics(row: MetricsRow): void {
    Deno.writeTextFileSync(this.path(RUN_FILES.metrics), JSON.stringify(row) + "\n", {
      append: true,
    });
  }

  /** All metrics rows (skipping a torn last line). */
  readMetrics(): MetricsRow[] {
    if (!this.has(RUN_FILES.metrics)) return [];
    const rows: MetricsRow[] = [];
    for (const line of Deno.readTextFileSync(this.path(RUN_FILES.metrics)).split("\n")) {
      if (!line.trim()) continue;
      try {
        rows.push(JSON.parse(line));
      } catch {
        // a line cut by a crash mid-append; later rows are re-logged on resume
      }
    }
    return rows;
  }

  /** Keeps only rows with `step <= envSteps` (rows logged after the checkpoint being resumed). */
  truncateMetrics(envSteps: number): void {
    const rows = this.readMetrics().filter((r) => r.step <= envSteps);
    writeFileAtomicSync(
      this.path(RUN_FILES.metrics),
      rows.map((r) => JSON.stringify(r) + "\n").join(""),
    );
    this.writeCsv(rows);
  }

  /** Rewrites metrics.csv from the rows (columns: the union of keys, step first). */
  writeCsv(rows: MetricsRow[] = this.readMetrics()): void {
    const columns = ["step"];
    for (const row of rows) {
      for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    }
    const lines = [columns.join(",")];
    for (const row of rows) {
      lines.push(columns.map((c) => (c in row ? String(row[c]) : "")).join(","));
    }
    writeFileAtomicSync(this.path(RUN_FILES.metricsCsv), lines.join("\n") + "\n");
  }

  /** Writes a snapshot file atomically. */
  writeSnapshot(file: string, value: unknown): void {
    writeFileAtomicSync(this.path(file), encodeSnapshot(value));
  }

  /** Reads a snapshot file; a missing, truncated or corrupted file is a ConfigError. */
  readSnapshot(file: string): unknown {
    const path = this.path(file);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch {
      throw new ConfigError(`'${path}' does not exist`);
    }
    try {
      return decodeSnapshot(bytes, path);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
}
