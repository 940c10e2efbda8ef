// A worker thread started ahead of the backend that runs on it (KernelThread, as bin/softmax.js
// starts one before the CLI's modules load): the wasm backend on two threads adopts it and trains
// bit for bit as with a thread of its own; a backend on one thread leaves it to release(), which
// stops it; a thread is taken once. Then the CLI's side: main() hands the thread to train, or
// releases it when the command runs on one thread.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createBackend } from "../../src/backend.js";
import { main } from "../../src/cli/main.js";
import { KernelThread } from "../../src/kernels/worker-thread.js";
import { assertBuilt, realDataRequired } from "../helpers/pictures-cli.js";
import { CROSS_ENTROPY, copyParams, learnableImages, randomParams, strideOrder } from "./fixtures.js";

const train = learnableImages(700, 21);
const test = learnableImages(300, 22);
const order = strideOrder(train.count, 263);

describe("KernelThread", () => {
  it("is adopted by the wasm backend on 2 threads, which then trains as with a thread of its own", async () => {
    const thread = new KernelThread();
    expect(thread.state).toBe("waiting");
    const adopted = await createBackend("wasm", { threads: 2, kernelThread: thread });
    const own = await createBackend("wasm", { threads: 2 });
    try {
      expect(thread.state).toBe("taken");
      const a = randomParams(3, 0.01);
      const b = copyParams(a);
      const initial = copyParams(a);
      const epoch = async () => {
        await adopted.trainEpoch(a, train, order, 64, CROSS_ENTROPY);
        await own.trainEpoch(b, train, order, 64, CROSS_ENTROPY);
      };
      await epoch();
      await epoch();
      expect(a.weight).not.toEqual(initial.weight);
      expect(a.weight).toEqual(b.weight);
      expect(a.bias).toEqual(b.bias);
      expect(await adopted.countCorrect(a, test)).toBe(await own.countCorrect(b, test));
      // Releasing a taken thread leaves it to its backend, which goes on working.
      await thread.release();
      expect(thread.state).toBe("taken");
      await epoch();
      expect(a.weight).toEqual(b.weight);
    } finally {
      await adopted.close();
      await own.close();
    }
  });

  it("is left by a backend on 1 thread and by the reference; release() then stops it for good", async () => {
    const thread = new KernelThread();
    for (const backend of [
      await createBackend("wasm", { threads: 1, kernelThread: thread }),
      await createBackend("reference", { threads: 2, kernelThread: thread }),
    ]) {
      await backend.close();
    }
    expect(thread.state).toBe("waiting");
    await thread.release();
    expect(thread.state).toBe("released");
    await expect(createBackend("wasm", { threads: 2, kernelThread: thread })).rejects.toThrow(
      /already taken by a backend or released/,
    );
  });
});

describe("a backend closed before its adopted thread reported ready", () => {
  it("keeps the process alive until the thread has exited (5 times over, in a process of its own)", () => {
    // The thread started ahead is up by the time the backend posts it its kernel, so its "ready"
    // can arrive while close() waits for its exit; it once unref'd the thread then, and the
    // process ended with close() pending (seen as `softmax evaluate` exiting 0 on a usage error
    // under load). In a process of its own, since vitest's handles would keep this one alive; with
    // --input-type=module, which workers inherit (their code is then evaluated as a module).
    assertBuilt();
    const script = `
      const { createBackend, KernelThread } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
      for (let i = 0; i < 5; i++) {
        const kernelThread = new KernelThread();
        await new Promise((resolve) => setTimeout(resolve, 150)); // the thread starts meanwhile
        const backend = await createBackend("wasm", { threads: 2, kernelThread });
        // Busy, so that its "ready" is queued before close() and handled during it.
        for (const until = performance.now() + 100; performance.now() < until; );
        await backend.close();
      }
      process.stdout.write("closed 5\\n");
      process.exitCode = 3;`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(child.stdout, `status ${child.status}`).toBe("closed 5\n");
    expect(child.status).toBe(3);
  });
});

describe("a backend used or closed while its kernel still compiles in the background", () => {
  it("waits for the kernel at its first use, and closes without it (in a process of its own)", () => {
    // WasmBackend.create returns before V8 has compiled the kernel (compileKernelInBackground):
    // a count at once must wait for it, in a process with nothing else pending (a compilation is
    // no handle of the event loop: Node 24 once ended such a process with "unsettled top-level
    // await"), and a close() at once must neither hang nor fail when the compilation ends after
    // the thread was terminated. In a process of its own, so that a handle left open shows as a
    // process that does not end by itself.
    assertBuilt();
    const script = `
      const { createBackend } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
      const images = new Uint8Array(3 * 784).fill(9);
      const set = { images, labels: new Uint8Array([0, 1, 2]), count: 3 };
      const params = { weight: new Float32Array(7840), bias: new Float32Array([0, 0, 5, 0, 0, 0, 0, 0, 0, 0]) };
      const counts = [];
      for (const threads of [1, 2]) {
        for (let i = 0; i < 3; i++) await (await createBackend("wasm", { threads })).close();
        const backend = await createBackend("wasm", { threads });
        counts.push(await backend.countCorrect(params, set));
        await backend.close();
      }
      process.stdout.write("counted " + counts.join(" ") + "\\n");
      process.exitCode = 3;`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stderr).toBe("");
    expect(child.stdout, `status ${child.status}`).toBe("counted 1 1\n");
    expect(child.status).toBe(3);
  });
});

describe.skipIf(!realDataRequired())("main() with a kernel thread started ahead", () => {
  const dir = mkdtempSync(join(tmpdir(), "softmax-kernel-thread-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["2", "taken"],
    ["1", "released"],
  ])("train --threads %s leaves the thread %s", async (threads, state) => {
    const thread = new KernelThread();
    const out = join(dir, `threads-${threads}.safetensors`);
    const args = ["train", "--epochs", "1", "--threads", threads, "--offline", "--quiet", "--json", "-o", out];
    expect(await main(args, { kernelThread: thread })).toBe(0);
    expect(thread.state).toBe(state);
  });
});
