/**
 * The single import point of TensorFlow.js. The full `@tensorflow/tfjs` bundle is used (not
 * `tfjs-core` alone) because only it registers the gradient functions in Deno's npm loader.
 */
import * as tf from "@tensorflow/tfjs";
// Production mode: no debug-time checks and no console banners from the backends.
tf.enableProdMode();
export { tf };
