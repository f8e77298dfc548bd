/**
 * Declarative parameter schemas: every configurable object (run, algorithm, policy) states its
 * fields once, with defaults and allowed ranges, and gets validation with errors that name the
 * field and what is allowed.
 */
import { didYouMean } from "./suggest.ts";

/** A numeric field. */
export interface NumberField {
  type: "number";
  default: number;
  integer?: boolean;
  /** Inclusive lower bound unless `exclusiveMin`. */
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
  doc?: string;
}
/** A boolean field. */
export interface BooleanField {
  type: "boolean";
  default: boolean;
  doc?: string;
}
/** A string field, optionally restricted to listed values. */
export interface StringField {
  type: "string";
  default: string;
  values?: readonly string[];
  doc?: string;
}
/** An array of numbers (layer sizes etc.). */
export interface NumberArrayField {
  type: "number[]";
  default: readonly number[];
  integer?: boolean;
  min?: number;
  minLength?: number;
  doc?: string;
}
/** One field of a {@link Schema}. */
export type Field = NumberField | BooleanField | StringField | NumberArrayField;
/** Field name to field spec. */
export type Schema = Record<string, Field>;

/** The validated values of a schema. */
export type ValuesOf<S extends Schema> = string extends keyof S ? Record<string, unknown> : {
  -readonly [K in keyof S]: S[K] extends NumberField ? number
    : S[K] extends BooleanField ? boolean
    : S[K] extends { type: "string"; values: readonly (infer V)[] } ? V
    : S[K] extends StringField ? string
    : S[K] extends NumberArrayField ? number[]
    : never;
};

/** Raised for invalid user input; the message names the field and what is allowed. */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Describes what a field accepts, for error messages and help text. */
export function describeField(field: Field): string {
  switch (field.type) {
    case "number": {
      const parts = [field.integer ? "an integer" : "a number"];
      if (field.min !== undefined) parts.push(`${field.exclusiveMin ? ">" : ">="} ${field.min}`);
      if (field.max !== undefined) parts.push(`<= ${field.max}`);
      return parts.join(" ");
    }
    case "boolean":
      return "true or false";
    case "string":
      return field.values ? `one of ${field.values.join(", ")}` : "a string";
    case "number[]":
      return `an array of ${field.integer ? "integers" : "numbers"}` +
        (field.min !== undefined ? ` >= ${field.min}` : "") +
        (field.minLength ? ` (at least ${field.minLength})` : "");
  }
}

function show(value: unknown): string {
  // JSON would print Infinity (1e400 in a JSON file) and NaN as null
  if (typeof value === "number") return String(value);
  return JSON.stringify(value) ?? String(value);
}

function checkNumber(field: NumberField | NumberArrayField, value: unknown): boolean {
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (field.integer && !Number.isInteger(value)) return false;
  if (field.min !== undefined) {
    const exclusive = field.type === "number" && field.exclusiveMin;
    if (exclusive ? value <= field.min : value < field.min) return false;
  }
  if (field.type === "number" && field.max !== undefined && value > field.max) return false;
  return true;
}

/** Validates one value against a field, throwing a {@link ConfigError} naming `path`. */
export function checkField(field: Field, value: unknown, path: string): void {
  let ok: boolean;
  switch (field.type) {
    case "number":
      ok = checkNumber(field, value);
      break;
    case "boolean":
      ok = typeof value === "boolean";
      break;
    case "string":
      ok = typeof value === "string" && (!field.values || field.values.includes(value));
      break;
    case "number[]":
      ok = Array.isArray(value) && value.every((v) => checkNumber(field, v)) &&
        value.length >= (field.minLength ?? 0);
      break;
  }
  if (!ok) {
    throw new ConfigError(`${path}: expected ${describeField(field)}, got ${show(value)}`);
  }
}

/**
 * Fills defaults and validates `input` against `schema`. Unknown keys are errors that list
 * the allowed keys. `path` prefixes field names in messages (e.g. "algoParams"; "" for none).
 */
export function validate<S extends Schema>(
  schema: S,
  input: unknown,
  path: string,
): ValuesOf<S> {
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new ConfigError(`${path || "config"}: expected an object, got ${show(input)}`);
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    // own keys only: `toString` or `constructor` are not fields of any schema
    if (!Object.hasOwn(schema, key)) {
      throw new ConfigError(
        `${path || "config"}: unknown key '${key}'${didYouMean(key, Object.keys(schema))}; ` +
          `allowed: ${Object.keys(schema).join(", ")}`,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema)) {
    // copies, so a resolved config never shares arrays with defaults or presets
    const value = structuredClone(Object.hasOwn(record, key) ? record[key] : field.default);
    checkField(field, value, path ? `${path}.${key}` : key);
    out[key] = value;
  }
  return out as ValuesOf<S>;
}

/** Default values of a schema. */
export function defaultsOf<S extends Schema>(schema: S): ValuesOf<S> {
  return validate(schema, {}, "defaults");
}
