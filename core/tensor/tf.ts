/**
 * The single import point of TensorFlow.js. The full `@tensorflow/tfjs` bundle is used (not
 * `tfjs-core` alone) because only it registers the gradient functions in Deno's npm loader.
 */
import * as tf from "@tensorflow/tfjs";
// Production mode: no debug-time checks and no console banners from the backends.
tf.enableProdMode();
export { tf };

/** The engine state {@link endScope} reads and writes (tfjs 4's). */
interface ScopeEngine {
  state: {
    activeScope: { id: number; track: TrackedTensor[] } | null;
    scopeStack: { id: number; track: TrackedTensor[] }[];
  };
  track(tensor: tf.Tensor): void;
}
type TrackedTensor = tf.Tensor & { kept: boolean; scopeId: number };

/**
 * Appends the tensors in `container` (a tensor, or arrays and objects holding tensors at any
 * depth) to `list`, each once. Arrays by index and objects by their own keys, in separate
 * loops: tfjs's walk runs one `for-in` over both, which V8 deoptimises and recompiles every few
 * updates for as long as training runs (the `wrong map` deopt loop); typed arrays hold no
 * tensors and are not walked element by element.
 */
function collectTensors(container: unknown, list: tf.Tensor[], seen: Set<unknown>): void {
  if (container === null || typeof container !== "object") return;
  if (container instanceof tf.Tensor) {
    list.push(container);
    return;
  }
  if (ArrayBuffer.isView(container)) return;
  const visit = (value: unknown) => {
    if (seen.has(value)) return;
    seen.add(value);
    collectTensors(value, list, seen);
  };
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) visit(container[i]);
    return;
  }
  const keys = Object.keys(container);
  for (let i = 0; i < keys.length; i++) visit((container as Record<string, unknown>)[keys[i]]);
}

/**
 * tfjs's `Engine.endScope` (the end of every `tf.tidy` and kernel scope) with the container
 * walk of {@link collectTensors}: the tensors `result` holds move to the parent scope, the
 * scope's other tensors are disposed unless kept. The same steps in the same order as tfjs
 * 4.22's; it only replaces the walk, whose deopt loop cost about 2% of a SAC update.
 */
function endScope(this: ScopeEngine, result: unknown): void {
  const toParent: tf.Tensor[] = [];
  collectTensors(result, toParent, new Set());
  const ids = new Set(toParent.map((t) => t.id));
  const scope = this.state.activeScope!;
  for (let i = 0; i < scope.track.length; i++) {
    const tensor = scope.track[i];
    if (!tensor.kept && !ids.has(tensor.id)) tensor.dispose();
  }
  const oldScope = this.state.scopeStack.pop()!;
  const stack = this.state.scopeStack;
  this.state.activeScope = stack.length === 0 ? null : stack[stack.length - 1];
  for (const tensor of toParent as TrackedTensor[]) {
    if (!tensor.kept && tensor.scopeId === oldScope.id) this.track(tensor);
  }
}

// written against tfjs-core 4.22.0's engine (a test pins the version)
Object.getPrototypeOf(tf.engine()).endScope = endScope;
