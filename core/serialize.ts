/**
 * Binary snapshots of plain objects that may contain typed arrays (checkpoints, policy files).
 *
 * Layout: magic "DMERLSN1", uint32 header length, JSON header, the typed arrays' bytes (each
 * 8-byte aligned), then a uint32 FNV-1a checksum of everything before it. The checksum makes
 * a truncated or corrupted file an error instead of a silently wrong load.
 */

/**
 * Named float arrays as plain data: the currency of checkpoints and exports. Statistics kept
 * in double precision (normalisers) stay Float64Array so a resumed run sees the same values.
 */
export type NamedArrays = Record<string, { shape: number[]; data: Float32Array | Float64Array }>;

const MAGIC = new TextEncoder().encode("DMERLSN1");
// Marker keys in the JSON header for arrays and non-finite numbers; unlikely in user data.
const BLOB = "$dmerl:blob";
const NUM = "$dmerl:num";

type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
const KINDS: Record<string, new (buf: ArrayBuffer, off: number, len: number) => TypedArray> = {
  f32: Float32Array,
  f64: Float64Array,
  i32: Int32Array,
  u32: Uint32Array,
  u8: Uint8Array,
};

function kindOf(value: unknown): string | null {
  if (value instanceof Float32Array) return "f32";
  if (value instanceof Float64Array) return "f64";
  if (value instanceof Int32Array) return "i32";
  if (value instanceof Uint32Array) return "u32";
  if (value instanceof Uint8Array) return "u8";
  return null;
}

function fnv1a(bytes: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** Encodes `value` (JSON-compatible plus typed arrays) into bytes. */
export function encodeSnapshot(value: unknown): Uint8Array {
  const blobs: TypedArray[] = [];
  const header = JSON.stringify(value, function (_key, v) {
    const kind = kindOf(v);
    if (kind) {
      blobs.push(v as TypedArray);
      return { [BLOB]: blobs.length - 1, kind, length: (v as TypedArray).length };
    }
    if (ArrayBuffer.isView(v)) {
      throw new Error(`snapshot: unsupported array type ${v.constructor.name}`);
    }
    if (typeof v === "number" && !Number.isFinite(v)) return { [NUM]: String(v) };
    return v;
  });
  const headerBytes = new TextEncoder().encode(header);
  const align = (n: number) => Math.ceil(n / 8) * 8;
  let size = align(MAGIC.length + 4 + headerBytes.length);
  const offsets: number[] = [];
  for (const b of blobs) {
    offsets.push(size);
    size = align(size + b.byteLength);
  }
  const out = new Uint8Array(size + 4);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, headerBytes.length, true);
  out.set(headerBytes, MAGIC.length + 4);
  blobs.forEach((b, i) => {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), offsets[i]);
  });
  new DataView(out.buffer).setUint32(size, fnv1a(out, size), true);
  return out;
}

/** Decodes bytes written by {@link encodeSnapshot}; throws on truncation or corruption. */
export function decodeSnapshot(bytes: Uint8Array, what = "snapshot"): unknown {
  const fail = (why: string): never => {
    throw new Error(`${what}: ${why}`);
  };
  if (bytes.length < MAGIC.length + 8) fail("file is truncated or empty");
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) fail("not a dmerl snapshot (bad magic)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 4;
  if (view.getUint32(end, true) !== fnv1a(bytes, end)) {
    fail("checksum mismatch: the file is truncated or corrupted");
  }
  const headerLength = view.getUint32(MAGIC.length, true);
  const headerText = new TextDecoder().decode(
    bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength),
  );
  const align = (n: number) => Math.ceil(n / 8) * 8;
  let offset = align(MAGIC.length + 4 + headerLength);
  // Collect the array descriptors first, then read the arrays in blob-index order, which is
  // the order they were written in.
  const descriptors: { kind: string; length: number; index: number }[] = [];
  const parsed = JSON.parse(headerText, (_key, v) => {
    if (v && typeof v === "object" && BLOB in v) {
      const d = { kind: v.kind as string, length: v.length as number, index: v[BLOB] as number };
      descriptors.push(d);
      return d;
    }
    if (v && typeof v === "object" && NUM in v) return Number(v[NUM]);
    return v;
  });
  descriptors.sort((a, b) => a.index - b.index);
  const arrays = new Map<object, TypedArray>();
  for (const d of descriptors) {
    const Ctor = KINDS[d.kind] ?? fail(`unknown array kind '${d.kind}'`);
    const byteLength = d.length * (Ctor as unknown as { BYTES_PER_ELEMENT: number })
      .BYTES_PER_ELEMENT;
    if (offset + byteLength > end) fail("array data runs past the end of the file");
    const copy = bytes.slice(offset, offset + byteLength);
    arrays.set(d, new Ctor(copy.buffer, 0, d.length));
    offset = align(offset + byteLength);
  }
  const replace = (v: unknown): unknown => {
    if (v && typeof v === "object") {
      if (arrays.has(v)) return arrays.get(v);
      if (Array.isArray(v)) return v.map(replace);
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = replace(o[k]);
    }
    return v;
  };
  return replace(parsed);
}

/** Suffix of the temp files {@link writeFileAtomicSync} writes before renaming them. */
export const TEMP_SUFFIX = ".tmp";

/**
 * Writes bytes to `path` atomically: a temp file in the same folder, synced, then renamed over
 * the target, so a crash leaves either the old file or the new one, never a torn one. A failed
 * write (a full disk) removes its temp file and leaves the old file as it was.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${Deno.pid}${TEMP_SUFFIX}`;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = Deno.openSync(tmp, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
}
