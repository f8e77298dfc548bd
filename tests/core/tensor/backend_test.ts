import assert from "node:assert/strict";
import { ConfigError } from "../../../core/mod.ts";
import {
  BackendUnavailableError,
  nativeMatMulEnabled,
  tf,
  useBackend,
  usingWasmBlas,
} from "../../../core/tensor/mod.ts";

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
    (e) =>
      e instanceof ConfigError &&
      /allowed: wasm, cpu, tensorflow, wasm-blas, auto$/.test(e.message),
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

Deno.test("useBackend: 'webgpu' is not offered (it cannot read tensors synchronously in Deno)", async () => {
  await assert.rejects(
    () => useBackend("webgpu" as never),
    /backend: unknown 'webgpu'; allowed: wasm, cpu, tensorflow, wasm-blas, auto$/,
  );
});

/** Runs `f` with DMERL_BLAS set to `value`, restoring it afterwards. */
async function withBlasSetting<T>(value: string, f: () => Promise<T>): Promise<T> {
  const saved = Deno.env.get("DMERL_BLAS");
  Deno.env.set("DMERL_BLAS", value);
  try {
    return await f();
  } finally {
    if (saved === undefined) Deno.env.delete("DMERL_BLAS");
    else Deno.env.set("DMERL_BLAS", saved);
  }
}

Deno.test("useBackend: 'wasm-blas' is the wasm backend with the native matMul, or refused with how to install it", async () => {
  await useBackend("cpu");
  try {
    assert.equal(await useBackend("wasm-blas"), "wasm-blas");
    assert.equal(tf.getBackend(), "wasm");
    assert.ok(usingWasmBlas());
    const out = tf.tidy(() => tf.matMul(tf.ones([3, 5]), tf.ones([5, 2])).dataSync());
    assert.deepEqual(Array.from(out), [5, 5, 5, 5, 5, 5]);
    // naming plain wasm again means its own kernel
    assert.equal(await useBackend("wasm"), "wasm");
    assert.ok(!nativeMatMulEnabled());
  } catch (e) {
    assert.ok(e instanceof BackendUnavailableError, String(e));
    assert.match((e as Error).message, /^backend 'wasm-blas': .*libopenblas0-pthread/);
    assert.equal(tf.getBackend(), "cpu", "the refused backend is not left active");
  } finally {
    await useBackend("wasm");
  }
});

Deno.test("useBackend: 'wasm-blas' without a BLAS says which library and how to install it", async () => {
  await withBlasSetting("off", async () => {
    await assert.rejects(
      () => useBackend("wasm-blas"),
      (e) =>
        e instanceof BackendUnavailableError &&
        /^backend 'wasm-blas': disabled by DMERL_BLAS=off; install OpenBLAS \(Debian\/Ubuntu: `apt-get install libopenblas0-pthread`.*use --backend wasm$/
          .test(e.message),
    );
  });
  await withBlasSetting("/nonexistent/libopenblas.so.0", async () => {
    await assert.rejects(
      () => useBackend("wasm-blas"),
      (e) =>
        e instanceof BackendUnavailableError &&
        /DMERL_BLAS=\/nonexistent\/libopenblas.so.0 could not be loaded/.test(e.message),
    );
  });
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(!nativeMatMulEnabled());
});

Deno.test("useBackend: 'auto' picks tensorflow, else wasm-blas, else wasm, and says which", async () => {
  try {
    const chosen = await useBackend("auto");
    assert.ok(["tensorflow", "wasm-blas", "wasm"].includes(chosen), chosen);
    if (!nativeInstalled) {
      const blas = await useBackend("wasm-blas").then(() => true, () => false);
      assert.equal(chosen, blas ? "wasm-blas" : "wasm");
      assert.equal(await withBlasSetting("off", () => useBackend("auto")), "wasm");
      assert.ok(!nativeMatMulEnabled());
    }
  } finally {
    await useBackend("wasm");
  }
});
