#!/usr/bin/env node
// Assembles the WebAssembly kernel src/kernels/softmax.wat with wabt and writes the binary, as
// base64, into src/kernels/softmax-wasm.ts (so the kernel loads the same way from src/ under
// vitest, from dist/ and inside a worker, with no file lookup at run time). Run by `npm run build`
// before tsc. `--check` writes nothing and exits 1 when the committed module is stale.
//
// The WAT's memory offsets come from the kernel's ABI, src/kernels/abi.ts: each `${NAME}` or
// `${2*NAME}` (names of WAT_CONSTANTS, integers, + − * and parentheses) outside `;;` comments is
// replaced by its value before assembly. abi.ts is TypeScript and this runs before tsc, so it and
// the modules it imports are transpiled (TypeScript's transpileModule, no type check) into a
// temporary directory and imported from there. An unknown name, a malformed placeholder or a
// constant the WAT never uses stops the build.
//
// Two kernels come out of the one WAT, through two macros:
// - `(f32x4.madd A B C)` = A·B + C (the multiply-adds of the forward and backward loops and of exp) becomes
//   `(f32x4.add C (f32x4.mul A B))` in the plain kernel (SOFTMAX_WASM_BASE64) and relaxed SIMD's
//   `(f32x4.relaxed_madd A B C)` in the fused one (SOFTMAX_FMA_WASM_BASE64), which rounds once
//   where the hardware has FMA;
// - `(backward_columns)`, the column blocks of backward_update, is generated from BACKWARD_BLOCKS
//   below, which gives each kernel its own blocking (the WAT's comment there says why).
// It is not the loader (src/kernels/kernel.ts is).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import wabtFactory from "wabt";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src/kernels/softmax.wat");
const abiSource = join(root, "src/kernels/abi.ts");
const target = join(root, "src/kernels/softmax-wasm.ts");

/** Imports a TypeScript module and the relative modules it imports, transpiled into a temporary directory. */
async function importTypeScript(file) {
  const out = mkdtempSync(join(tmpdir(), "softmax-abi-"));
  try {
    const pending = [file];
    const done = new Set();
    while (pending.length > 0) {
      const path = pending.pop();
      if (done.has(path)) continue;
      done.add(path);
      const text = readFileSync(path, "utf8");
      const js = ts.transpileModule(text, {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      }).outputText;
      const at = join(out, relative(root, path)).replace(/\.ts$/, ".js");
      mkdirSync(dirname(at), { recursive: true });
      writeFileSync(at, js);
      for (const [, spec] of js.matchAll(/from\s+"(\.[^"]+)\.js"/g)) pending.push(join(dirname(path), `${spec}.ts`));
    }
    return await import(pathToFileURL(join(out, relative(root, file)).replace(/\.ts$/, ".js")).href);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The WAT without its `;;` comments, every `${…}` placeholder replaced by its value from `constants`. */
function substitute(wat, constants) {
  const used = new Set();
  const fill = (code) =>
    code.replace(/\$\{([^}]*)\}/g, (placeholder, expression) => {
      const arithmetic = expression.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (name) => {
        if (!Object.hasOwn(constants, name))
          throw new Error(`softmax.wat: ${placeholder}: no constant ${name} in abi.ts`);
        used.add(name);
        return String(constants[name]);
      });
      if (!/^[\d\s+\-*()]+$/.test(arithmetic)) throw new Error(`softmax.wat: ${placeholder}: only + − * of integers`);
      const value = Function(`"use strict"; return (${arithmetic});`)();
      if (!Number.isSafeInteger(value)) throw new Error(`softmax.wat: ${placeholder} is not an integer`);
      return String(value);
    });
  const text = wat
    .split("\n")
    .map((line) => {
      const comment = line.indexOf(";;");
      return fill(comment < 0 ? line : line.slice(0, comment));
    })
    .join("\n");
  const unused = Object.keys(constants).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`abi.ts: WAT_CONSTANTS never used by softmax.wat: ${unused.join(", ")}`);
  return text;
}

/** `code` (no comments) with every `(f32x4.madd A B C)` expanded for the plain or the fused kernel. */
function expandMadd(code, fused) {
  const head = "(f32x4.madd ";
  let out = "";
  let at = 0;
  for (let start = code.indexOf(head); start >= 0; start = code.indexOf(head, at)) {
    out += code.slice(at, start);
    let i = start + head.length;
    const args = [];
    while (args.length < 3) {
      while (/\s/.test(code[i])) i++;
      if (code[i] !== "(")
        throw new Error(`softmax.wat: f32x4.madd takes three expressions: ${code.slice(start, i + 20)}`);
      const from = i;
      let depth = 0;
      do {
        if (code[i] === "(") depth++;
        else if (code[i] === ")") depth--;
        i++;
      } while (depth > 0 && i < code.length);
      args.push(expandMadd(code.slice(from, i), fused));
    }
    while (/\s/.test(code[i])) i++;
    if (code[i] !== ")")
      throw new Error(`softmax.wat: f32x4.madd takes three expressions: ${code.slice(start, i + 20)}`);
    const [a, b, c] = args;
    out += fused ? `(f32x4.relaxed_madd ${a} ${b} ${c})` : `(f32x4.add ${c} (f32x4.mul ${a} ${b}))`;
    at = i + 1;
  }
  return out + code.slice(at);
}

/**
 * backward_update's blocks per kernel, in column order: `columns` of the half (a multiple of 4 ×
 * `vectors`) in blocks of `vectors` f32x4 columns, the outputs 0–9 in row loops of `outputs[i]`
 * outputs each. At most 4 outputs and 4 vectors (the WAT declares $a0_0 … $a3_3 and $x0 … $x3).
 */
const BACKWARD_BLOCKS = {
  plain: [{ columns: 392, vectors: 2, outputs: [3, 3, 4] }],
  fma: [
    { columns: 384, vectors: 4, outputs: [2, 2, 2, 2, 2] },
    { columns: 8, vectors: 2, outputs: [3, 3, 4] },
  ],
};

/** Sums the expressions pairwise, neighbours first: ((a + b) + c), ((a + b) + (c + d)), … */
function pairwiseSum(terms) {
  let level = terms;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? `(f32x4.add ${level[i]} ${level[i + 1]})` : level[i]);
    level = next;
  }
  return level[0];
}

/**
 * The WAT of backward_update's column loops for `blocks` (BACKWARD_BLOCKS): per block of columns
 * at byte offset $c, per group of outputs, the accumulators zeroed, one loop over the rows (x
 * vectors loaded, then per output a splat of g and a multiply-add per vector), the squares into
 * the norm, and the SGD update of those outputs' weights.
 */
function backwardColumns(blocks, half) {
  const acc = (o, v) => `$a${o}_${v}`;
  const lines = [];
  let column = 0;
  blocks.forEach(({ columns, vectors, outputs }, b) => {
    if (columns % (4 * vectors) !== 0 || vectors > 4 || outputs.some((n) => n > 4))
      throw new Error(`BACKWARD_BLOCKS: bad block ${JSON.stringify(blocks[b])}`);
    if (outputs.reduce((a, n) => a + n, 0) !== 10) throw new Error("BACKWARD_BLOCKS: the outputs must add up to 10");
    const vs = [...Array(vectors).keys()];
    lines.push(`(local.set $c (i32.const ${4 * column}))`, `(loop $columns${b}`);
    let first = 0;
    for (const n of outputs) {
      const os = [...Array(n).keys()];
      for (const o of os) for (const v of vs) lines.push(`(local.set ${acc(o, v)} (v128.const i32x4 0 0 0 0))`);
      lines.push(
        "(local.set $xp (i32.add (local.get $x) (local.get $c)))",
        `(local.set $gp (i32.add (local.get $g) (i32.const ${4 * first})))`,
        `(local.set $gend (i32.add (local.get $gp) (i32.mul (local.get $count) (i32.const \${G_ROW_BYTES}))))`,
        `(loop $rows${b}_${first}`,
        ...vs.map((v) => `(local.set $x${v} (v128.load offset=${16 * v} (local.get $xp)))`),
      );
      for (const o of os) {
        lines.push(`(local.set $s (v128.load32_splat offset=${4 * o} (local.get $gp)))`);
        for (const v of vs)
          lines.push(
            `(local.set ${acc(o, v)} (f32x4.madd (local.get $s) (local.get $x${v}) (local.get ${acc(o, v)})))`,
          );
      }
      const square = (o, v) => `(f32x4.mul (local.get ${acc(o, v)}) (local.get ${acc(o, v)}))`;
      lines.push(
        `(local.set $xp (i32.add (local.get $xp) (i32.const \${X_ROW_BYTES})))`,
        `(local.set $gp (i32.add (local.get $gp) (i32.const \${G_ROW_BYTES})))`,
        `(br_if $rows${b}_${first} (i32.lt_u (local.get $gp) (local.get $gend))))`,
        "(if (local.get $norm) (then (v128.store (local.get $norm) (f32x4.add (v128.load (local.get $norm))",
        `  ${pairwiseSum(os.map((o) => pairwiseSum(vs.map((v) => square(o, v)))))}))))`,
        `(local.set $wp (i32.add (i32.add (local.get $w) (i32.const \${${first} * W_ROW_BYTES})) (local.get $c)))`,
      );
      for (const o of os)
        for (const v of vs) {
          const at = `offset=\${${o} * W_ROW_BYTES + ${16 * v}}`;
          lines.push(
            `(v128.store ${at} (local.get $wp) (f32x4.sub (v128.load ${at} (local.get $wp))`,
            `  (f32x4.mul (local.get $lrv) (f32x4.add (local.get ${acc(o, v)}) (f32x4.mul (local.get $wdv) (v128.load ${at} (local.get $wp)))))))`,
          );
        }
      first += n;
    }
    column += columns;
    lines.push(
      `(br_if $columns${b} (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const ${16 * vectors}))) (i32.const ${4 * column}))))`,
    );
  });
  if (column !== half) throw new Error(`BACKWARD_BLOCKS: the blocks cover ${column} columns, not ${half}`);
  return lines.join("\n");
}

/** The assembled module of `code`, with the WebAssembly features it uses. */
function assemble(wabt, code, features) {
  const module = wabt.parseWat("softmax.wat", code, features);
  try {
    module.validate(features);
    return module.toBinary({ canonicalize_lebs: true }).buffer;
  } finally {
    module.destroy();
  }
}

const { WAT_CONSTANTS } = await importTypeScript(abiSource);
const wabt = await wabtFactory();
const wat = readFileSync(source, "utf8");
if (wat.split("(backward_columns)").length !== 2) throw new Error("softmax.wat: (backward_columns) must appear once");
/** The code of one kernel: its backward blocks generated, placeholders filled, multiply-adds expanded. */
const kernelCode = (kernel, fused) =>
  expandMadd(
    substitute(
      wat.replace("(backward_columns)", backwardColumns(BACKWARD_BLOCKS[kernel], WAT_CONSTANTS.HALF)),
      WAT_CONSTANTS,
    ),
    fused,
  );
const plain = assemble(wabt, kernelCode("plain", false), { simd: true, threads: true });
const fused = assemble(wabt, kernelCode("fma", true), { simd: true, threads: true, relaxed_simd: true });
const base64 = (bytes) => Buffer.from(bytes).toString("base64");

const text = `// Generated by scripts/build-wasm.js from softmax.wat and abi.ts: do not edit.
// Rebuild with \`npm run build\`; test/kernels/build.test.ts fails when this file is stale.
/** The plain 128-bit SIMD kernel (${plain.length} bytes of WebAssembly). */
export const SOFTMAX_WASM_BASE64 =
  "${base64(plain)}";
/** The kernel with relaxed SIMD's fused multiply-add in the forward and backward loops and exp (${fused.length} bytes). */
export const SOFTMAX_FMA_WASM_BASE64 =
  "${base64(fused)}";
`;

let current = "";
try {
  current = readFileSync(target, "utf8");
} catch {}
if (process.argv.includes("--check")) {
  if (current !== text) {
    process.stderr.write(
      "src/kernels/softmax-wasm.ts does not match src/kernels/softmax.wat and abi.ts (run `npm run build`)\n",
    );
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(target, text);
}
