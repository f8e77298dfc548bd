/** What the run-safety tests share: running the CLI in a child process and tiny run configs. */
import assert from "node:assert/strict";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const TRAIN = `${ROOT}scripts/train.ts`;
export const EVAL = `${ROOT}scripts/eval.ts`;
export const EXPORT = `${ROOT}scripts/export.ts`;

/** A finished child process. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script with `deno run -A` and waits for it. */
export async function deno(script: string, args: string[], cwd = ROOT): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Asserts exit code `code` and exactly one stderr line `error: ...` matching `pattern`. */
export function oneErrorLine(run: Run, code: number, pattern: RegExp, label: string): void {
  const lines = run.stderr.trim().split("\n").filter((l) => l.trim());
  assert.equal(run.code, code, `${label}: exit ${run.code}\n${run.stderr}`);
  assert.equal(lines.length, 1, `${label}: one line expected, got\n${run.stderr}`);
  assert.match(lines[0], /^error: /, label);
  assert.match(lines[0], pattern, label);
}

/**
 * Asserts exit code `code` and that the run's log ends with exactly one `error: ...` line
 * matching `pattern` (a run that started logs its progress before it).
 */
export function endsWithOneError(run: Run, code: number, pattern: RegExp, label: string): void {
  const lines = run.stderr.trim().split("\n").filter((l) => l.trim());
  assert.equal(run.code, code, `${label}: exit ${run.code}\n${run.stderr}`);
  assert.equal(lines.filter((l) => l.startsWith("error")).length, 1, `${label}\n${run.stderr}`);
  assert.match(lines[lines.length - 1], pattern, label);
}

/** The entries of a folder, sorted (empty when it does not exist). */
export function listDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Flags of a tiny SAC run on Pendulum-v1 (small networks, fast). */
export const TINY_SAC = [
  "--algo",
  "sac",
  "--env",
  "Pendulum-v1",
  "--backend",
  "wasm",
  "--eval-episodes",
  "1",
  "--quiet",
];

/** A config file for tiny networks (written into `dir`), for `--config`. */
export function tinyConfig(dir: string, algoParams: Record<string, unknown> = {}): string {
  const path = `${dir}/tiny.json`;
  Deno.writeTextFileSync(
    path,
    JSON.stringify({
      algoParams: { learningStarts: 50, batchSize: 16, criticHidden: [8, 8], ...algoParams },
      policyParams: { hidden: [8, 8] },
    }),
  );
  return path;
}
