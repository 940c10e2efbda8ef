// The committed kernel module (src/kernels/softmax-wasm.ts) is the assembly of its source,
// src/kernels/softmax.wat: scripts/build-wasm.js --check assembles the WAT with wabt again and
// compares. A stale module after an edit of the WAT or of abi.ts fails here.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileKernel } from "../../src/kernels/kernel.js";
import { SOFTMAX_WASM_BASE64 } from "../../src/kernels/softmax-wasm.js";

describe("the WebAssembly kernel build", () => {
  it("matches its WAT source", () => {
    expect(() => execFileSync(process.execPath, ["scripts/build-wasm.js", "--check"], { stdio: "pipe" })).not.toThrow();
  });

  it("takes the argument block's and the control words' offsets from abi.ts, never as numbers", () => {
    const code = readFileSync("src/kernels/softmax.wat", "utf8").replace(/;;.*$/gm, "");
    expect(code.match(/offset=\d+ \(local\.get \$a\)/g) ?? []).toEqual([]); // StepArgs fields
    expect(code.match(/atomic\.\w+ \(i32\.const \d+\)/g) ?? []).toEqual([]); // Control words
    expect(code).toMatch(/offset=\$\{ARGS_BATCH\} \(local\.get \$a\)/);
  });

  it("is a valid module using 128-bit SIMD and a shared memory", () => {
    const bytes = Buffer.from(SOFTMAX_WASM_BASE64, "base64");
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d])); // "\0asm"
    expect(() => compileKernel()).not.toThrow();
  });
});
