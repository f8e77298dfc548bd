/**
 * One writer per run folder: `run.lock` names the process that trains the run (pid, host,
 * start time). A second trainer is refused while the holder lives; a lock whose process is
 * gone (same host: no such pid; another host: not refreshed for {@link STALE_MS}) is taken
 * over. Readers (eval, export, view, report) take no lock.
 */
import { ConfigError } from "./schema.ts";

/** File name of the lock inside a run folder. */
export const LOCK_FILE = "run.lock";

/** A lock not refreshed for this long is stale when its holder is on another host. */
export const STALE_MS = 120_000;

/** How often the holder refreshes the lock's modification time. */
export const REFRESH_MS = 30_000;

/** What the lock file holds. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** Whether the holder of a lock file still runs (see the module comment). */
function holderAlive(holder: LockHolder, modifiedMs: number): boolean {
  if (holder.host === hostname()) {
    if (holder.pid === Deno.pid) return true;
    try {
      Deno.statSync("/proc/self");
    } catch {
      // no /proc (macOS, Windows): fall back on the refresh time
      return Date.now() - modifiedMs < STALE_MS;
    }
    try {
      Deno.statSync(`/proc/${holder.pid}`);
      return true;
    } catch {
      return false;
    }
  }
  return Date.now() - modifiedMs < STALE_MS;
}

function readHolder(path: string): { holder: LockHolder | null; modifiedMs: number } | null {
  let text: string;
  let modifiedMs: number;
  try {
    modifiedMs = Deno.statSync(path).mtime?.getTime() ?? 0;
    text = Deno.readTextFileSync(path);
  } catch {
    return null; // released meanwhile
  }
  try {
    return { holder: JSON.parse(text) as LockHolder, modifiedMs };
  } catch {
    return { holder: null, modifiedMs }; // torn by a crash while being written
  }
}

/** The lock of one run folder, held by this process. */
export class RunLock {
  private lastRefresh = Date.now();

  private constructor(readonly path: string) {}

  /**
   * Takes the lock of `dir`, taking over a stale one; a live holder is a {@link ConfigError}
   * that names it (`field` as in the other run-folder errors).
   */
  static acquire(dir: string, field = "resume"): RunLock {
    const path = `${dir}/${LOCK_FILE}`;
    const me: LockHolder = { pid: Deno.pid, host: hostname(), startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const file = Deno.openSync(path, { write: true, createNew: true });
        try {
          file.writeSync(new TextEncoder().encode(JSON.stringify(me) + "\n"));
        } finally {
          file.close();
        }
        return new RunLock(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      }
      const found = readHolder(path);
      if (found === null) continue;
      const { holder, modifiedMs } = found;
      if (holder && holderAlive(holder, modifiedMs)) {
        throw new ConfigError(
          `${field}: '${dir}' is being trained by process ${holder.pid} on ${holder.host} ` +
            `(since ${holder.startedAt}); one writer per run folder (remove ${LOCK_FILE} only ` +
            "if that process is gone)",
        );
      }
      try {
        Deno.removeSync(path); // stale: its holder is gone
      } catch {
        // another process took it over first; the next attempt sees the new holder
      }
    }
    throw new ConfigError(`${field}: could not take the lock of '${dir}' (${LOCK_FILE})`);
  }

  /** The live holder of `dir`'s lock, or null when it is free or stale (taken over on acquire). */
  static holderOf(dir: string): LockHolder | null {
    const found = readHolder(`${dir}/${LOCK_FILE}`);
    if (found === null) return null;
    const { holder, modifiedMs } = found;
    return holder && holderAlive(holder, modifiedMs) ? holder : null;
  }

  /** Refreshes the lock's time when {@link REFRESH_MS} has passed (cheap to call often). */
  refresh(): void {
    const now = Date.now();
    if (now - this.lastRefresh < REFRESH_MS) return;
    this.lastRefresh = now;
    try {
      Deno.utimeSync(this.path, new Date(now), new Date(now));
    } catch {
      // a refresh that fails (full disk, removed folder) is not worth failing the run for
    }
  }

  /** Releases the lock (removes the file). */
  release(): void {
    try {
      Deno.removeSync(this.path);
    } catch {
      // already gone
    }
  }
}
