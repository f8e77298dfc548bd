/**
 * ONNX graph building and model encoding (protobuf through `onnx-proto`), for exporting
 * policies as self-contained graphs: observation normalisation, networks, the unrolled
 * diffusion chain, tanh and rescaling to the action Box.
 *
 * Models use IR version 8 and opset 17 of the default domain.
 */
import onnxProto from "onnx-proto";
import type { Box } from "../spaces.ts";
import type { OnnxExportOptions, Policy } from "../policy.ts";
import { VERSION } from "../version.ts";

// onnx-proto is CommonJS; its namespace object carries the message classes.
// deno-lint-ignore no-explicit-any
const { onnx } = onnxProto as any;

/** ONNX IR version of exported models. */
export const ONNX_IR_VERSION = 8;
/** Opset of the default ("ai.onnx") domain used by exported models. */
export const ONNX_OPSET = 17;

const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7; // TensorProto.DataType.INT64

/** A dimension: a fixed size, or a symbolic name (e.g. "batch"). */
export type Dim = number | string;

/** Attribute values the builder can encode. */
export type AttributeValue = number | number[] | string;

/**
 * Builds one ONNX graph: inputs, constant initialisers, nodes and outputs. Node outputs get
 * unique names; every method returns the name of the value it creates.
 */
export class OnnxGraph {
  private readonly inputs: unknown[] = [];
  private readonly outputs: unknown[] = [];
  private readonly initializers: unknown[] = [];
  private readonly nodes: unknown[] = [];
  private counter = 0;

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  private static valueInfo(name: string, dims: Dim[]): unknown {
    return {
      name,
      type: {
        tensorType: {
          elemType: FLOAT,
          shape: {
            dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
          },
        },
      },
    };
  }

  /** Declares a float graph input. */
  input(name: string, dims: Dim[]): string {
    this.inputs.push(OnnxGraph.valueInfo(name, dims));
    return name;
  }

  /** Declares a float graph output produced by the value `from`, renamed to `name`. */
  output(name: string, dims: Dim[], from: string): string {
    this.op("Identity", [from], {}, name);
    this.outputs.push(OnnxGraph.valueInfo(name, dims));
    return name;
  }

  /** A float constant (stored as an initializer). */
  constant(data: ArrayLike<number>, dims: number[], prefix = "const"): string {
    const name = this.fresh(prefix);
    const values = Float32Array.from(data);
    this.initializers.push({
      name,
      dims,
      dataType: FLOAT,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  /** An int64 constant (shapes, axes, indices). */
  constantInt64(data: number[], dims: number[] = [data.length], prefix = "int"): string {
    const name = this.fresh(prefix);
    const values = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims,
      dataType: INT64,
      rawData: new Uint8Array(values.buffer),
    });
    return name;
  }

  /** A float constant `[rows, cols]` of zeros times the input: `[batch, cols]` zeros. */
  zerosLike(x: string, rows: number, cols: number): string {
    return this.op("MatMul", [
      x,
      this.constant(new Float32Array(rows * cols), [rows, cols], "zeros"),
    ]);
  }

  /** A scalar float constant. */
  scalar(value: number): string {
    return this.constant([value], [], "scalar");
  }

  /**
   * Adds a node and returns its (first) output name. Attribute numbers that are integers are
   * encoded as INT, others as FLOAT; arrays as INTS.
   */
  op(
    type: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    outputName?: string,
  ): string {
    const output = outputName ?? this.fresh(type.toLowerCase());
    const attribute = Object.entries(attributes).map(([name, value]) => {
      if (typeof value === "string") {
        return { name, type: 3, s: new TextEncoder().encode(value) }; // STRING
      }
      if (Array.isArray(value)) return { name, type: 7, ints: value }; // INTS
      return Number.isInteger(value)
        ? { name, type: 2, i: value } // INT
        : { name, type: 1, f: value }; // FLOAT
    });
    this.nodes.push({ opType: type, input: inputs, output: [output], attribute });
    return output;
  }

  /** `x @ w + b` for constant weights `w` (`[inputs, outputs]`, row-major) and bias `b`. */
  dense(
    x: string,
    w: ArrayLike<number>,
    b: ArrayLike<number>,
    inputs: number,
    outputs: number,
  ): string {
    const product = this.op("MatMul", [x, this.constant(w, [inputs, outputs], "w")]);
    return this.op("Add", [product, this.constant(b, [outputs], "b")]);
  }

  /** The activations of core/nn.ts, with the same formulas. */
  activation(x: string, kind: "relu" | "tanh" | "silu" | "gelu" | "linear"): string {
    switch (kind) {
      case "relu":
        return this.op("Relu", [x]);
      case "tanh":
        return this.op("Tanh", [x]);
      case "silu":
        return this.op("Mul", [x, this.op("Sigmoid", [x])]);
      case "gelu": {
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as core/nn.ts computes it
        const cube = this.op("Mul", [x, this.op("Mul", [x, x])]);
        const inner = this.op("Mul", [
          this.op("Add", [x, this.op("Mul", [cube, this.scalar(0.044715)])]),
          this.scalar(Math.sqrt(2 / Math.PI)),
        ]);
        const half = this.op("Mul", [x, this.scalar(0.5)]);
        return this.op("Mul", [half, this.op("Add", [this.op("Tanh", [inner]), this.scalar(1)])]);
      }
      case "linear":
        return x;
    }
  }

  /** `x[:, index, :]` of a `[batch, steps, dim]` value: `[batch, dim]`. */
  step(x: string, index: number): string {
    return this.op("Gather", [x, this.constantInt64([index], [])], { axis: 1 });
  }

  /** Columns `[start, end)` of a `[batch, n]` value. */
  columns(x: string, start: number, end: number): string {
    return this.op("Slice", [
      x,
      this.constantInt64([start]),
      this.constantInt64([end]),
      this.constantInt64([1]),
    ]);
  }

  /** `clip(tanh(u), -0.999, 0.999)` rescaled onto the Box: the env boundary of every policy. */
  squashToBox(u: string, space: Box): string {
    const t = this.op("Clip", [this.op("Tanh", [u]), this.scalar(-0.999), this.scalar(0.999)]);
    const n = space.low.length;
    const half = Array.from({ length: n }, (_, d) => 0.5 * (space.high[d] - space.low[d]));
    const mid = Array.from({ length: n }, (_, d) => space.low[d] + half[d]);
    // low + (t + 1) / 2 * (high - low) == mid + t * half
    return this.op("Add", [
      this.op("Mul", [t, this.constant(half, [n], "half")]),
      this.constant(mid, [n], "mid"),
    ]);
  }

  /** The graph as an ONNX GraphProto-shaped object. */
  graph(name: string): unknown {
    return {
      name,
      input: this.inputs,
      output: this.outputs,
      initializer: this.initializers,
      node: this.nodes,
    };
  }
}

/** Encodes a graph into a serialised ModelProto with string metadata. */
export function encodeModel(
  graph: OnnxGraph,
  options: { name: string; producerVersion: string; metadata: Record<string, string> },
): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "dmerl",
    producerVersion: options.producerVersion,
    graph: graph.graph(options.name),
    metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads the metadata of a serialised model (for tools that inspect exported files). */
export function readModelMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  const out: Record<string, string> = {};
  for (const { key, value } of model.metadataProps ?? []) out[key] = value;
  return out;
}

/** What a policy must provide to be exported. */
export interface OnnxExportable {
  /** Noise slots the stochastic graph reads: the noise input is `[batch, noiseSteps, actDim]`. */
  readonly noiseSteps: number;
  /** Env actions from raw observations and explicit standard-normal noise (null: deterministic). */
  actFromNoise(obs: Float32Array, noise: Float32Array | null): Float32Array;
  /**
   * Adds the policy's computation to `graph`: from the raw observation value `obs` (and the
   * noise value, null when deterministic) to env actions; returns the actions' value name.
   */
  buildOnnx(graph: OnnxGraph, obs: string, noise: string | null): string;
}

/**
 * Exports a policy as one ONNX model: input `obs [batch, obs_dim]` (raw observations) and,
 * unless deterministic, `noise [batch, noise_steps, act_dim]` (standard normal); output
 * `action [batch, act_dim]` inside the env's action Box.
 */
export function exportPolicyOnnx(
  policy: Policy & OnnxExportable,
  options: OnnxExportOptions,
): Uint8Array {
  const graph = new OnnxGraph();
  const obs = graph.input("obs", ["batch", policy.obsDim]);
  const noise = options.deterministic
    ? null
    : graph.input("noise", ["batch", policy.noiseSteps, policy.actDim]);
  const action = policy.buildOnnx(graph, obs, noise);
  graph.output("action", ["batch", policy.actDim], action);
  const space = policy.actionSpace;
  return encodeModel(graph, {
    name: `dmerl_${policy.kind}_policy`,
    producerVersion: VERSION,
    metadata: {
      framework: `dmerl ${VERSION}`,
      policy_kind: policy.kind,
      deterministic: String(options.deterministic),
      obs_dim: String(policy.obsDim),
      act_dim: String(policy.actDim),
      noise_steps: options.deterministic ? "0" : String(policy.noiseSteps),
      action_low: JSON.stringify(Array.from(space.low)),
      action_high: JSON.stringify(Array.from(space.high)),
      opset: String(ONNX_OPSET),
      ir_version: String(ONNX_IR_VERSION),
      ...options.metadata,
    },
  });
}
