/**
 * Custom ops on the TensorFlow.js engine without what tf.customGrad costs: any number of outputs,
 * the tensors the backward pass reads held without copies, and gradients computed only for the
 * inputs that need them.
 */
import { tf } from "./tf.ts";

/** Whether the engine records the next op on a gradient tape. */
export function tapeIsOn(): boolean {
  const state = tf.engine().state;
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

/** tfjs's engine entry for an op with its own forward and backward functions (any outputs). */
interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor[];
    backwardsFunc: (
      dys: tf.Tensor[] | tf.Tensor,
      saved: tf.Tensor[],
    ) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor[];
  state: { activeTape: { saved?: tf.Tensor[] }[] };
}

/**
 * Runs an op with its own forward and backward passes and any number of outputs (tf.customGrad
 * allows one). `forward` computes the outputs, off the tape; under a tape, `keep` names the
 * tensors the backward pass reads, which are held as buffer-sharing aliases (no copy, unlike
 * the engine's own saving) and freed by the engine after the backward pass with the tape node's
 * saved tensors. `backward` gets the outputs' gradients (zeros for an output outside the
 * gradient's path) and the kept tensors, and returns one function per input: the engine calls
 * only those of inputs on the path (a constant input's gradient is never computed).
 */
export function customOp(
  inputs: Record<string, tf.Tensor>,
  forward: () => { outputs: tf.Tensor[]; keep: tf.Tensor[] },
  backward: (dys: tf.Tensor[], kept: tf.Tensor[]) => Record<string, () => tf.Tensor>,
): tf.Tensor[] {
  const engine = tf.engine() as unknown as KernelFuncEngine;
  const recording = tapeIsOn();
  let kept: tf.Tensor[] = [];
  const outputs = engine.runKernelFunc({
    forwardFunc: (_backend, save) => {
      save([]);
      const { outputs, keep } = forward();
      if (recording) kept = keep.map((t) => tf.keep(tf.reshape(t, t.shape)));
      return outputs;
    },
    // the engine hands a single output's gradient unwrapped
    backwardsFunc: (dys) => backward(Array.isArray(dys) ? dys : [dys], kept),
    inputs,
  });
  if (recording) {
    const tape = engine.state.activeTape;
    tape[tape.length - 1].saved!.push(...kept);
  }
  return outputs;
}
