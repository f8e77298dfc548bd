/** Checks shared by the pure-TypeScript envs' `load()`: one home for state validation. */
import type { RngState } from "../core/rng.ts";

/**
 * Checks that `state` is an object with finite numbers under `numbers`, non-negative integer
 * step counts under `counts`, and an rng state; returns it typed. Throws naming the env.
 */
export function checkEnvState<N extends string, C extends string>(
  state: unknown,
  id: string,
  fields: { numbers: readonly N[]; counts: readonly C[] },
): Record<N | C, number> & { rng: RngState } {
  const record = state as Record<string, unknown>;
  const ok = typeof state === "object" && state !== null && !Array.isArray(state) &&
    fields.numbers.every((k) => typeof record[k] === "number" && Number.isFinite(record[k])) &&
    fields.counts.every((k) => Number.isInteger(record[k]) && (record[k] as number) >= 0) &&
    typeof record.rng === "object" && record.rng !== null;
  if (!ok) {
    throw new Error(
      `${id}.load: expected { ${[...fields.numbers, ...fields.counts, "rng"].join(", ")} }`,
    );
  }
  return record as Record<N | C, number> & { rng: RngState };
}
