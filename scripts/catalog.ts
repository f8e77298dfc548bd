/**
 * What the registry holds, as text for the command line: `deno task list` and the
 * per-algorithm part of `deno task train --algo X --help` (every parameter with its type,
 * default, allowed values and one-line doc; the algorithm's presets).
 */
import type { Field, Registry, Schema } from "../core/mod.ts";

/** What `deno task list` can show. */
export const LIST_KINDS = ["algos", "envs", "policies"] as const;
/** One of {@link LIST_KINDS}. */
export type ListKind = typeof LIST_KINDS[number];

function typeOf(field: Field): string {
  if (field.type === "number") return field.integer ? "int" : "number";
  if (field.type === "number[]") return field.integer ? "int[]" : "number[]";
  return field.type;
}

function rangeOf(field: Field): string {
  switch (field.type) {
    case "number": {
      const lo = field.min === undefined ? "" : `${field.exclusiveMin ? ">" : ">="} ${field.min}`;
      const hi = field.max === undefined ? "" : `<= ${field.max}`;
      return [lo, hi].filter(Boolean).join(", ");
    }
    case "number[]":
      return field.min === undefined ? "" : `each >= ${field.min}`;
    case "string":
      return field.values ? field.values.join("|") : "";
    case "boolean":
      return "true|false";
  }
}

/** A table of a schema's fields: name, type, default, allowed range, doc. */
export function schemaLines(schema: Schema, indent = "  "): string[] {
  const rows = Object.entries(schema).map(([name, field]) => [
    name,
    typeOf(field),
    JSON.stringify(field.default),
    rangeOf(field),
    field.doc ?? "",
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    indent + r.slice(0, 4).map((cell, i) => cell.padEnd(widths[i])).join("  ") + "  " + r[4]
  );
}

/** `deno task train --algo NAME --help`'s algorithm part. */
export function algorithmHelp(registry: Registry, name: string): string {
  const algo = registry.algorithm(name);
  const policy = registry.policy(algo.defaultPolicy);
  const lines = [
    `${name}: ${algo.description}`,
    "",
    `algoParams (set with --set algoParams.NAME=VALUE or in a --config file):`,
    ...schemaLines(algo.schema),
    "",
    `policyParams of its default policy '${algo.defaultPolicy}' (${policy.description}):`,
    ...schemaLines(policy.schema),
  ];
  if (algo.policyParams && Object.keys(algo.policyParams).length > 0) {
    lines.push(`  ${name} sets: ${JSON.stringify(algo.policyParams)}`);
  }
  const presets = Object.entries(algo.presets ?? {});
  lines.push("", `presets (applied when --env names the env):`);
  if (presets.length === 0) lines.push("  none");
  // envs sharing one preset (the MuJoCo tasks) on one line
  const byPreset = new Map<string, string[]>();
  for (const [env, preset] of presets) {
    const text = JSON.stringify(preset);
    byPreset.set(text, [...(byPreset.get(text) ?? []), env]);
  }
  for (const [text, envs] of byPreset) lines.push(`  ${envs.join(", ")}: ${text}`);
  return lines.join("\n");
}

/** `deno task list`'s text for one kind (the registry's envs must be prepared first). */
export function listText(registry: Registry, kind: ListKind): string {
  const names = registry.names();
  const pad = (list: string[]) => Math.max(...list.map((n) => n.length));
  if (kind === "algos") {
    const width = pad(names.algorithms);
    return ["algorithms (deno task train --algo NAME --help for parameters):"].concat(
      names.algorithms.map((n) => {
        const def = registry.algorithm(n);
        return `  ${n.padEnd(width)}  ${def.description} [policy ${def.defaultPolicy}]`;
      }),
    ).join("\n");
  }
  if (kind === "policies") {
    const width = pad(names.policies);
    return ["policies:"].concat(
      names.policies.map((n) => `  ${n.padEnd(width)}  ${registry.policy(n).description}`),
    ).join("\n");
  }
  const width = pad(names.envs);
  return ["envs (obs and action sizes):"].concat(
    names.envs.map((id) => {
      const def = registry.env(id);
      const env = def.create({});
      const sizes = `obs ${env.observationSpace.low.length}, act ${env.actionSpace.low.length}`;
      env.close?.();
      return `  ${id.padEnd(width)}  ${sizes.padEnd(16)}  ${def.description}`;
    }),
  ).join("\n");
}
