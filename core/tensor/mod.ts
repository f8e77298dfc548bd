/**
 * The tensor engine: TensorFlow.js and its backends (wasm, OpenBLAS matrix products, fused
 * wasm kernels), dense layers and MLPs, Adam, observation and return normalisers, the ONNX
 * builder and the onnxruntime actor. Imports only the kernel (`core/`).
 */
export * from "./tf.ts";
export * from "./normalizer.ts";
export * from "./nn.ts";
export * from "./layer_norm.ts";
export * from "./blas.ts";
export * from "./backend.ts";
export * from "./onnx.ts";
export * from "./onnx_actor.ts";
export * from "./fused_chain.ts";
export { customOp } from "./custom_op.ts";
