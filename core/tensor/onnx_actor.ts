/**
 * Runs an exported policy (see core/onnx.ts) with onnxruntime-node: the actor behind
 * `deno task eval --onnx`. The native addon is imported inside {@link OnnxActor.create}, so
 * importing the core never loads it.
 */
import type * as Ort from "onnxruntime-node";
import { readModelMetadata } from "./onnx.ts";
import { Rng } from "../rng.ts";
import { ConfigError } from "../schema.ts";

/** Where the model runs. */
export type OnnxDevice = "cpu" | "cuda";

/** Devices {@link OnnxActor.create} accepts. */
export const ONNX_DEVICES: readonly OnnxDevice[] = ["cpu", "cuda"];

/** Options of {@link OnnxActor.create}. */
export interface OnnxActorOptions {
  /**
   * `"cuda"` asks for onnxruntime's CUDA execution provider; when that fails (provider not
   * installed, no GPU) the CPU is used, {@link OnnxActor.fallback} says why, and `onWarning`
   * gets one line.
   */
  device: OnnxDevice;
  /** Receives the one-line warning of a CUDA fallback (the caller decides where it goes). */
  onWarning?: (line: string) => void;
  /**
   * Seed of the generator drawing the standard-normal noise of stochastic models (default 0):
   * `new Rng(seed)`, one `fillNormal` of `batch * noiseSteps * actDim` values per
   * {@link OnnxActor.act} call.
   */
  seed?: number;
  /** Intra-op threads of the session (onnxruntime's default when unset). */
  threads?: number;
  /**
   * The onnxruntime module to run the model with, instead of onnxruntime-node (the viewer
   * page passes onnxruntime-web, whose API is the same).
   */
  runtime?: typeof Ort;
}

function metaInt(meta: Record<string, string>, key: string, min: number, source: string): number {
  const value = Number(meta[key]);
  if (meta[key] === undefined || !Number.isInteger(value) || value < min) {
    throw new ConfigError(
      `${source}: model metadata '${key}' is ${
        meta[key] === undefined ? "missing" : `'${meta[key]}'`
      }; not a model exported by dmerl`,
    );
  }
  return value;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "unknown error";
}

/** An exported dmerl policy loaded into an onnxruntime session. */
export class OnnxActor {
  /** The device actually used: `"cpu"` after a CUDA fallback. */
  readonly device: OnnxDevice;
  /** Why CUDA was not used when it was asked for (null otherwise). */
  readonly fallback: string | null;
  /** Noise slots per action (0 for deterministic models). */
  readonly noiseSteps: number;
  /** Observation size the model reads. */
  readonly obsDim: number;
  /** Action size the model writes. */
  readonly actDim: number;
  /** True when the model has no noise input (mean action / zero-noise chain). */
  readonly deterministic: boolean;
  /** Lower bounds of the action Box (from the metadata). */
  readonly actionLow: number[];
  /** Upper bounds of the action Box. */
  readonly actionHigh: number[];
  private released = false;

  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    placement: { device: OnnxDevice; fallback: string | null },
    /** The model's string metadata (env, algorithm, policy kind, ...). */
    readonly metadata: Readonly<Record<string, string>>,
    private readonly rng: Rng,
    source: string,
  ) {
    this.device = placement.device;
    this.fallback = placement.fallback;
    const spec = OnnxActor.spec(metadata, source);
    this.obsDim = spec.obsDim;
    this.actDim = spec.actDim;
    this.noiseSteps = spec.noiseSteps;
    this.deterministic = spec.deterministic;
    this.actionLow = spec.actionLow;
    this.actionHigh = spec.actionHigh;
    const { inputNames, outputNames } = session;
    if (!inputNames.includes("obs") || !outputNames.includes("action")) {
      throw new ConfigError(
        `${source}: expected inputs obs[, noise] and output action, got inputs ` +
          `${inputNames.join(", ")} and outputs ${outputNames.join(", ")}`,
      );
    }
    if (inputNames.includes("noise") === this.deterministic) {
      throw new ConfigError(
        `${source}: metadata (deterministic ${metadata.deterministic}, noise_steps ` +
          `${this.noiseSteps}) does not match the graph inputs (${inputNames.join(", ")})`,
      );
    }
  }

  /** Sizes and bounds from a model's metadata; a ConfigError when they are missing. */
  private static spec(metadata: Record<string, string>, source: string) {
    const parse = (key: string) => {
      try {
        const v = JSON.parse(metadata[key] ?? "null");
        return Array.isArray(v) ? v.map(Number) : [];
      } catch {
        return [];
      }
    };
    const deterministic = metadata.deterministic === "true";
    return {
      obsDim: metaInt(metadata, "obs_dim", 1, source),
      actDim: metaInt(metadata, "act_dim", 1, source),
      noiseSteps: metaInt(metadata, "noise_steps", deterministic ? 0 : 1, source),
      deterministic,
      actionLow: parse("action_low"),
      actionHigh: parse("action_high"),
    };
  }

  /**
   * Loads a model from a file path or its bytes. A path that cannot be read or bytes that are
   * not a dmerl model give a {@link ConfigError}.
   */
  static async create(
    modelPathOrBytes: string | Uint8Array,
    options: OnnxActorOptions,
  ): Promise<OnnxActor> {
    if (!ONNX_DEVICES.includes(options.device)) {
      throw new ConfigError(
        `device: expected one of ${ONNX_DEVICES.join(", ")}, got '${options.device}'`,
      );
    }
    const source = typeof modelPathOrBytes === "string" ? `'${modelPathOrBytes}'` : "model";
    let bytes: Uint8Array;
    if (typeof modelPathOrBytes === "string") {
      try {
        bytes = await Deno.readFile(modelPathOrBytes);
      } catch (e) {
        throw new ConfigError(`${source} cannot be read: ${firstLine(e)}`);
      }
    } else {
      bytes = modelPathOrBytes;
    }
    let metadata: Record<string, string>;
    try {
      metadata = readModelMetadata(bytes);
    } catch (e) {
      throw new ConfigError(`${source} is not an ONNX model: ${firstLine(e)}`);
    }
    OnnxActor.spec(metadata, source); // fail on a foreign model before loading the addon
    const ort: typeof Ort = options.runtime ?? await import("onnxruntime-node");
    const base: Ort.InferenceSession.SessionOptions = options.threads
      ? { intraOpNumThreads: options.threads }
      : {};

    let session: Ort.InferenceSession | null = null;
    let device: OnnxDevice = "cpu";
    let fallback: string | null = null;
    if (options.device === "cuda") {
      // A failed CUDA provider load is also logged by onnxruntime's native logger; quiet it
      // for this attempt so the fallback is reported by our one line only. (The native log
      // level is fixed when the first session of the process is created.)
      const previous = ort.env.logLevel;
      ort.env.logLevel = "fatal";
      try {
        session = await ort.InferenceSession.create(bytes, {
          ...base,
          executionProviders: ["cuda"],
          logSeverityLevel: 4,
        });
        device = "cuda";
      } catch (e) {
        fallback = `CUDA is unavailable (${firstLine(e)}); falling back to CPU`;
        options.onWarning?.(`warning: ${fallback}`);
      } finally {
        ort.env.logLevel = previous;
      }
    }
    if (!session) {
      try {
        session = await ort.InferenceSession.create(bytes, {
          ...base,
          executionProviders: ["cpu"],
        });
      } catch (e) {
        throw new ConfigError(`${source} cannot be loaded by onnxruntime: ${firstLine(e)}`);
      }
    }
    try {
      const rng = new Rng(options.seed ?? 0);
      return new OnnxActor(ort, session, { device, fallback }, metadata, rng, source);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  /**
   * Env actions for a batch of raw observations (`batch * obsDim` values, batch =
   * `obs.length / obsDim`); stochastic models draw their noise from the actor's generator,
   * or get zeros with `zeroNoise`.
   */
  async act(obs: Float32Array, options: { zeroNoise?: boolean } = {}): Promise<Float32Array> {
    if (this.released) throw new Error("OnnxActor.act: the session was released");
    if (obs.length === 0 || obs.length % this.obsDim !== 0) {
      throw new Error(
        `OnnxActor.act: expected batch * obs_dim values (obs_dim ${this.obsDim}), got ` +
          `${obs.length}`,
      );
    }
    const batch = obs.length / this.obsDim;
    const feeds: Record<string, Ort.Tensor> = {
      obs: new this.ort.Tensor("float32", obs, [batch, this.obsDim]),
    };
    if (!this.deterministic) {
      const noise = new Float32Array(batch * this.noiseSteps * this.actDim);
      // zero noise: the mean of a Gaussian, the noise-free diffusion chain (as a deterministic
      // export computes them), from the same stochastic model
      if (!options.zeroNoise) this.rng.fillNormal(noise);
      feeds.noise = new this.ort.Tensor("float32", noise, [batch, this.noiseSteps, this.actDim]);
    }
    const out = await this.session.run(feeds);
    const action = out.action;
    const data = Float32Array.from(action.data as Float32Array);
    for (const tensor of Object.values(out)) tensor.dispose?.();
    return data;
  }

  /** Frees the session; the actor cannot act afterwards. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}
