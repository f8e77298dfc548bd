import type { Rng } from "../../core/rng.ts";

/** Field name to floats per transition, e.g. `{ obs: 3, action: 1, reward: 1 }`. */
export type ReplayLayout = Record<string, number>;

/**
 * A ring-buffer replay memory of fixed-width float fields. Shared by every off-policy
 * algorithm; DiffSAC adds its latent chain as just another field.
 */
export class ReplayBuffer {
  readonly capacity: number;
  readonly layout: ReplayLayout;
  private readonly data: Record<string, Float32Array> = {};
  private readonly batchOut: Record<string, Float32Array> = {};
  private batchSize = -1;
  private next = 0;
  size = 0;

  /** Allocates `capacity` transitions of the given layout. */
  constructor(capacity: number, layout: ReplayLayout) {
    this.capacity = capacity;
    this.layout = layout;
    for (const [name, width] of Object.entries(layout)) {
      this.data[name] = new Float32Array(capacity * width);
    }
  }

  /** Adds one transition; `values[name]` has `layout[name]` floats (read from `offset * width`). */
  add(values: Record<string, ArrayLike<number>>, row = 0): void {
    const i = this.next;
    for (const [name, width] of Object.entries(this.layout)) {
      const src = values[name];
      const dst = this.data[name];
      for (let d = 0; d < width; d++) dst[i * width + d] = src[row * width + d];
    }
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /**
   * Samples `batch` transitions uniformly with replacement. The returned arrays are reused by
   * the next call.
   */
  sample(batch: number, rng: Rng): Record<string, Float32Array> {
    if (this.size === 0) throw new Error("ReplayBuffer.sample: buffer is empty");
    if (batch !== this.batchSize) {
      for (const [name, width] of Object.entries(this.layout)) {
        this.batchOut[name] = new Float32Array(batch * width);
      }
      this.batchSize = batch;
    }
    // the fields looked up once per batch, not per row; one-float fields copied directly
    const fields = Object.entries(this.layout).map(([name, width]) => ({
      width,
      from: this.data[name],
      to: this.batchOut[name],
    }));
    for (let b = 0; b < batch; b++) {
      const i = rng.int(this.size);
      for (const { width, from, to } of fields) {
        if (width === 1) to[b] = from[i];
        else to.set(from.subarray(i * width, (i + 1) * width), b * width);
      }
    }
    return this.batchOut;
  }

  /** The filled part of the buffer and its cursor, for checkpoints. */
  state(): { next: number; size: number; data: Record<string, Float32Array> } {
    const data: Record<string, Float32Array> = {};
    for (const [name, width] of Object.entries(this.layout)) {
      data[name] = this.data[name].slice(0, this.size * width);
    }
    return { next: this.next, size: this.size, data };
  }

  /**
   * Restores {@link ReplayBuffer.state}'s output. Into a larger buffer (a run extended past the
   * budget it was sized for), the transitions are laid out oldest first and the cursor set
   * after them, as a buffer sized for the larger budget from the start would hold them; into a
   * buffer of the saved size, exactly as saved.
   */
  load(state: { next: number; size: number; data: Record<string, Float32Array> }): void {
    if (state.size > this.capacity) {
      throw new Error(`replay state holds ${state.size} transitions, capacity is ${this.capacity}`);
    }
    const grows = state.size < this.capacity;
    for (const [name, width] of Object.entries(this.layout)) {
      const src = state.data[name];
      if (!src || src.length !== state.size * width) {
        throw new Error(`replay state: field '${name}' is missing or has the wrong size`);
      }
      if (grows) {
        // oldest first: slots next..size-1 were written before slots 0..next-1
        const split = state.next * width;
        this.data[name].set(src.subarray(split), 0);
        this.data[name].set(src.subarray(0, split), src.length - split);
      } else {
        this.data[name].set(src);
      }
    }
    this.next = grows ? state.size : state.next;
    this.size = state.size;
  }
}
