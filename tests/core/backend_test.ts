import assert from "node:assert/strict";
import { BackendUnavailableError, ConfigError, tf, useBackend } from "../../core/mod.ts";

function installed(pkg: string): boolean {
  try {
    Deno.statSync(`${Deno.cwd()}/node_modules/${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}
const nativeInstalled = installed("@tensorflow/tfjs-node-gpu") ||
  installed("@tensorflow/tfjs-node");

Deno.test("useBackend: wasm and cpu load and compute; unknown names are refused", async () => {
  assert.equal(await useBackend("cpu"), "cpu");
  assert.deepEqual(Array.from(tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync())), [2, 2]);
  assert.equal(await useBackend("wasm"), "wasm");
  assert.deepEqual(Array.from(tf.tidy(() => tf.add(tf.ones([2]), 2).dataSync())), [3, 3]);
  await assert.rejects(
    () => useBackend("tpu" as never),
    (e) => e instanceof ConfigError && /allowed: wasm, cpu, tensorflow, webgpu/.test(e.message),
  );
  assert.equal(tf.getBackend(), "wasm", "a refused backend leaves the current one active");
});

Deno.test({
  name: "useBackend: 'tensorflow' without tfjs-node says how to install it (no silent fallback)",
  // Where a user installed @tensorflow/tfjs-node(-gpu) this path does not apply.
  ignore: nativeInstalled,
  async fn() {
    await assert.rejects(
      () => useBackend("tensorflow"),
      (e) =>
        e instanceof BackendUnavailableError &&
        /tfjs-node-gpu nor @tensorflow\/tfjs-node is installed; install one with/.test(e.message),
    );
    assert.equal(tf.getBackend(), "wasm");
  },
});

Deno.test("useBackend: 'webgpu' is either usable or refused with one reason, never half-working", async () => {
  try {
    const name = await useBackend("webgpu");
    assert.equal(name, "webgpu");
    const out = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync());
    assert.equal(out[0], 64);
  } catch (e) {
    assert.ok(e instanceof BackendUnavailableError, String(e));
    assert.match((e as Error).message, /^backend 'webgpu': .*use --backend wasm$/);
    assert.equal(tf.getBackend(), "wasm", "the refused backend is not left active");
  } finally {
    await useBackend("wasm");
  }
});
