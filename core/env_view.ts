/**
 * How an env is drawn: the optional part of an env definition that the viewer page
 * (scripts/web) uses. The kernel has no DOM types, so the canvas is passed untyped; a drawing
 * module casts it to the `HTMLCanvasElement` it is.
 */
import type { Env } from "./env.ts";

/** What the page knows about the step just taken, handed to {@link EnvView.draw}. */
export interface ViewFrame {
  /** The action just applied; null right after a reset. */
  action: Float32Array | null;
  /** The last actions of this page, oldest first (one-step tasks such as DoubleWell show them). */
  recentActions: readonly Float32Array[];
  /** Steps taken in the current episode. */
  steps: number;
}

/** A drawing of one env on one canvas. */
export interface EnvView {
  /** Draws the env's current state. */
  draw(frame: ViewFrame): void;
  /** Called when the canvas changed size (CSS pixels). */
  resize?(width: number, height: number): void;
  /** Frees what the view made (GPU buffers, listeners). */
  dispose?(): void;
}

/** Makes a view of `env` on `canvas` (an `HTMLCanvasElement`). */
export type EnvViewFactory = (env: Env, canvas: unknown) => EnvView;
