;; The hot path of softmax regression in WebAssembly with 128-bit SIMD: gather + forward, the
;; loss and its gradient (stable softmax with cross-entropy, squared error of the softmax
;; outputs, or cs231n's multiclass hinge), backward + SGD update with the gradient's squared
;; norm, and the evaluation count.
;; It is not the reference (src/model/softmax-regression.ts is, and the tests compare the two) and
;; it does no I/O and no allocation: src/kernels/wasm-backend.ts lays out the shared memory and
;; starts the threads; the kernel runs a step (main_step), the worker's epoch (worker_epoch) and
;; the barrier between the two threads (await_peer) on that layout.
;;
;; Why WAT text and not AssemblyScript: the point of this file is control over what the engine
;; executes (which values stay in the 15 usable SIMD registers, the exact order of every float
;; addition so results do not depend on the thread count), and WAT states that directly, is
;; assembled by wabt with no optimiser in between, and needs no second TypeScript dialect that
;; tsc and biome would trip over.
;;
;; Work split (see wasm-backend.ts): the 784 inputs are cut into two halves of H = 392 columns.
;; Each thread owns one half of W, stored as its own (10, 392) block, and of the gathered batch
;; X (B, 392). A forward pass over one half gives partial logits (B, 10); logits = (part0 + part1)
;; + b in that order on every thread, so one or two threads give bit-identical results. The
;; backward pass for a half only needs that half of X and the (B, 10) gradient of the logits,
;; which both threads compute redundantly from the same inputs, so the only hand-off per step is
;; the partial logits. The forward pass's rows are shared out (forward_shared): a thread that is
;; through its own half's rows takes what is left of the other half's.
;;
;; Memory: the layout is the kernel's ABI, defined once in src/kernels/abi.ts; every ${NAME}
;; below is one of its WAT_CONSTANTS, filled in by scripts/build-wasm.js before assembly (byte
;; offsets and row sizes; 16, 32 … within a row are its vectors). Buffers (byte pointers, f32
;; little-endian unless said):
;;   images (N, 784) u8, labels (N) u8, order (N) u32
;;   w    (10, 392)  one half of W, row o at w + o·W_ROW_BYTES
;;   x    (B, 392)   one half of the batch, row r at x + r·xstep (X_ROW_BYTES, or 0 = one scratch row)
;;   part (B, 10)    partial logits, row r at part + r·PART_ROW_BYTES
;;   g    (B, 12)    dLogits = (P − Y)/B, row r at g + r·G_ROW_BYTES (lanes 10, 11 unused)
;;   bias (10)       read as 16 bytes + 8 bytes
;;   out             loss_step's results: f64 loss sum at OUT_LOSS, i32 correct at OUT_CORRECT,
;;                   i32 "every logit finite" at OUT_FINITE
;;   control words   at the start of memory (abi.ts Control: barrier numbers, stop, failure, spin budgets)
;;   args            an epoch's arguments per thread (abi.ts StepArgs; see main_step)
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Vector constants of the loops, as mutable globals: read into a local before a loop, a global
;; stays in a register (or one stack slot), where a v128.const is rebuilt by V8 inside the loop
;; at every use. Never written.
  (global $exp_hi (mut v128) (v128.const f32x4 88.3762626647949 88.3762626647949 88.3762626647949 88.3762626647949))
  (global $exp_lo (mut v128) (v128.const f32x4 -87.3365478515625 -87.3365478515625 -87.3365478515625 -87.3365478515625))
  (global $exp_log2e (mut v128) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
  (global $exp_magic (mut v128) (v128.const f32x4 12582912 12582912 12582912 12582912)) ;; 1.5·2^23
  ;; −ln 2 in two parts (the first exact in few bits), negated so that x − n·ln2 is a multiply-add
  (global $exp_nln2hi (mut v128) (v128.const f32x4 -0.693359375 -0.693359375 -0.693359375 -0.693359375))
  (global $exp_nln2lo (mut v128) (v128.const f32x4 2.12194440e-4 2.12194440e-4 2.12194440e-4 2.12194440e-4))
  (global $exp_p0 (mut v128) (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
  (global $exp_p1 (mut v128) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3))
  (global $exp_p2 (mut v128) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3))
  (global $exp_p3 (mut v128) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2))
  (global $exp_p4 (mut v128) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1))
  (global $exp_p5 (mut v128) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1))
  (global $f32x4_one (mut v128) (v128.const f32x4 1 1 1 1))
  (global $exp_bias (mut v128) (v128.const i32x4 127 127 127 127)) ;; the float exponent's bias
  (global $lanes0 (mut v128) (v128.const i32x4 0 1 2 3))
  (global $lanes1 (mut v128) (v128.const i32x4 4 5 6 7))
  (global $lanes2 (mut v128) (v128.const i32x4 8 9 10 11))
  (global $ten_lanes (mut v128) (v128.const i32x4 -1 -1 0 0)) ;; lanes 8, 9 of the third vector
  (global $inv255 (mut v128) (v128.const f32x4 0.003921568859368563 0.003921568859368563 0.003921568859368563 0.003921568859368563))
  ;; Most reads of the peer's barrier word before sleeping (~20–40 µs; $barrier adapts below it).
  (global $spin i32 (i32.const 20000))
  (global $tiny (mut v128) (v128.const f32x4 3.2e-36 3.2e-36 3.2e-36 3.2e-36)) ;; ≈ 2^−118: smaller |g| are flushed to 0

  ;; ln x in float64 for one value (the per-example log-sum-exp; x = Σ exp ≥ 1 there).
  ;; x = 2^k·m with m in [√½, √2): ln m = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.1716, by its odd
  ;; series up to s^15 (next term < 4e-14). NaN and +inf are returned unchanged, x ≤ 0 gives NaN.
  (func $log (param $x f64) (result f64)
    (local $bits i64) (local $k i32) (local $m f64) (local $s f64) (local $s2 f64) (local $t f64)
    (if (i32.eqz (i32.and (f64.gt (local.get $x) (f64.const 0)) (f64.lt (local.get $x) (f64.const inf))))
      (then (return (select (local.get $x) (f64.const nan) (f64.ge (local.get $x) (f64.const inf))))))
    (local.set $bits (i64.reinterpret_f64 (local.get $x)))
    (local.set $k (i32.sub (i32.wrap_i64 (i64.shr_u (local.get $bits) (i64.const 52))) (i32.const 1023)))
    (local.set $m (f64.reinterpret_i64 (i64.or (i64.and (local.get $bits) (i64.const 0x000fffffffffffff))
                                               (i64.const 0x3ff0000000000000))))
    (if (f64.gt (local.get $m) (f64.const 1.4142135623730951))
      (then (local.set $m (f64.mul (local.get $m) (f64.const 0.5)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))))
    (local.set $s (f64.div (f64.sub (local.get $m) (f64.const 1)) (f64.add (local.get $m) (f64.const 1))))
    (local.set $s2 (f64.mul (local.get $s) (local.get $s)))
    (local.set $t (f64.const 0.06666666666666667)) ;; 1/15
    (local.set $t (f64.add (f64.mul (local.get $t) (local.get $s2)) (f64.const 0.07692307692307693))) ;; 1/13
    (local.set $t (f64.add (f64.mul (local.get $t) (local.get $s2)) (f64.const 0.09090909090909091))) ;; 1/11
    (local.set $t (f64.add (f64.mul (local.get $t) (local.get $s2)) (f64.const 0.1111111111111111))) ;; 1/9
    (local.set $t (f64.add (f64.mul (local.get $t) (local.get $s2)) (f64.const 0.14285714285714285))) ;; 1/7
    (local.set $t (f64.add (f64.mul (local.get $t) (local.get $s2)) (f64.const 0.2))) ;; 1/5
    (local.set $t (f64.add (f64.mul (local.get $t) (local.get $s2)) (f64.const 0.3333333333333333))) ;; 1/3
    (local.set $t (f64.add (f64.mul (local.get $t) (local.get $s2)) (f64.const 1)))
    (f64.add (f64.mul (f64.convert_i32_s (local.get $k)) (f64.const 0.6931471805599453))
             (f64.mul (f64.mul (f64.const 2) (local.get $s)) (local.get $t))))
  (export "log" (func $log))

  ;; Horizontal sum of 4 lanes in the same order as $hsum4: (v0 + v1) + (v2 + v3).
  (func $hsum (param $v v128) (result f32)
    (local.set $v (f32x4.add (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $v) (local.get $v))))
    (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 2 (local.get $v))))

  ;; Horizontal sums of 4 vectors at once, each in the fixed order (v0 + v1) + (v2 + v3):
  ;; returns (Σa, Σb, Σc, Σd).
  (func $hsum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local.set $a (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b))
                             (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $c (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $c) (local.get $d))
                             (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $c) (local.get $d))))
    (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $c))
               (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $c))))

  ;; Address of columns col0.. of example n = order[index] (or n = index when order is 0).
  (func $row (param $images i32) (param $order i32) (param $index i32) (param $col0 i32) (result i32)
    (if (local.get $order)
      (then (local.set $index (i32.load (i32.add (local.get $order) (i32.shl (local.get $index) (i32.const 2)))))))
    (i32.add (i32.add (local.get $images) (i32.mul (local.get $index) (i32.const ${IMAGE_ROW_BYTES}))) (local.get $col0)))

  ;; Reads one byte of each 64-byte line of the 392 bytes at p. Shuffled rows are far apart in
  ;; memory, so their first reads miss the caches; touching the next rows' lines together lets
  ;; those misses overlap (WebAssembly has no prefetch instruction). Returns the bytes OR-ed.
  (func $touch (param $p i32) (result i32)
    (i32.or (i32.or (i32.or (i32.load8_u offset=0 (local.get $p)) (i32.load8_u offset=64 (local.get $p)))
                    (i32.or (i32.load8_u offset=128 (local.get $p)) (i32.load8_u offset=192 (local.get $p))))
            (i32.or (i32.or (i32.load8_u offset=256 (local.get $p)) (i32.load8_u offset=320 (local.get $p)))
                    (i32.or (i32.load8_u offset=384 (local.get $p)) (i32.load8_u offset=${HALF - 1} (local.get $p))))))

  ;; x[r] (392) ← images[n, col0 : col0+392] / 255 for n = order[start + r] (or start + r when
  ;; order is 0): 8 bytes → 2 × f32x4 per iteration.
  (func $gather (param $src i32) (param $dst i32)
    (local $k i32) (local $v v128) (local $p i32) (local $scale v128)
    (local.set $scale (global.get $inv255))
    (loop $convert
      (local.set $v (v128.load8x8_u (i32.add (local.get $src) (local.get $k))))
      (local.set $p (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 2))))
      (v128.store (local.get $p)
        (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $v))) (local.get $scale)))
      (v128.store offset=16 (local.get $p)
        (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $v))) (local.get $scale)))
      (br_if $convert (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 8))) (i32.const ${HALF})))))

  ;; part[r, o], part[r, o+1] for the 4 rows r..r+3 whose x rows are consecutive at x, against
  ;; the two w rows at w: 8 dot products of length 392, 8 accumulators. V8 keeps 15 SIMD
  ;; registers and this needs 8 + 2 w + the x row in use + a product, but only when the w rows
  ;; are loaded first: V8 then loads the x rows one pair at a time as they are used. With the x
  ;; rows loaded first it loads all 6 operands up front, runs out of registers and spills an
  ;; accumulator (half the speed; the same happened to 3×2 unrolled twice, 5×2 and 6×2). 4×2
  ;; runs ~15 % faster than 3×2, whose 23 instructions per 6 multiply-adds kept the front end
  ;; (6 instructions per cycle) busier than the floating-point units.
  (func $dot4x2 (param $x i32) (param $w i32) (param $out i32)
    (local $k i32) (local $w0 v128) (local $w1 v128) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (loop $dot
      (local.set $w0 (v128.load offset=0 (i32.add (local.get $w) (local.get $k))))
      (local.set $w1 (v128.load offset=${W_ROW_BYTES} (i32.add (local.get $w) (local.get $k))))
      (local.set $x0 (v128.load offset=0 (i32.add (local.get $x) (local.get $k))))
      (local.set $x1 (v128.load offset=${X_ROW_BYTES} (i32.add (local.get $x) (local.get $k))))
      (local.set $x2 (v128.load offset=${2 * X_ROW_BYTES} (i32.add (local.get $x) (local.get $k))))
      (local.set $x3 (v128.load offset=${3 * X_ROW_BYTES} (i32.add (local.get $x) (local.get $k))))
      (local.set $a00 (f32x4.madd (local.get $x0) (local.get $w0) (local.get $a00)))
      (local.set $a01 (f32x4.madd (local.get $x0) (local.get $w1) (local.get $a01)))
      (local.set $a10 (f32x4.madd (local.get $x1) (local.get $w0) (local.get $a10)))
      (local.set $a11 (f32x4.madd (local.get $x1) (local.get $w1) (local.get $a11)))
      (local.set $a20 (f32x4.madd (local.get $x2) (local.get $w0) (local.get $a20)))
      (local.set $a21 (f32x4.madd (local.get $x2) (local.get $w1) (local.get $a21)))
      (local.set $a30 (f32x4.madd (local.get $x3) (local.get $w0) (local.get $a30)))
      (local.set $a31 (f32x4.madd (local.get $x3) (local.get $w1) (local.get $a31)))
      (br_if $dot (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (i32.const ${X_ROW_BYTES}))))
    ;; $hsum4 written out for rows (0, 1) and (2, 3): a call here would make V8 spill the
    ;; accumulators inside the loop
    (local.set $x0 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a00) (local.get $a01)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a00) (local.get $a01))))
    (local.set $x1 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a10) (local.get $a11)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a10) (local.get $a11))))
    (local.set $x0 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $x0) (local.get $x1)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $x0) (local.get $x1))))
    (local.set $x2 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a20) (local.get $a21)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a20) (local.get $a21))))
    (local.set $x3 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a30) (local.get $a31)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a30) (local.get $a31))))
    (local.set $x2 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $x2) (local.get $x3)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $x2) (local.get $x3))))
    (v128.store64_lane offset=0 0 (local.get $out) (local.get $x0))
    (v128.store64_lane offset=${PART_ROW_BYTES} 1 (local.get $out) (local.get $x0))
    (v128.store64_lane offset=${2 * PART_ROW_BYTES} 0 (local.get $out) (local.get $x2))
    (v128.store64_lane offset=${3 * PART_ROW_BYTES} 1 (local.get $out) (local.get $x2)))

  ;; part[r, o..o+4] for one row against the 5 w rows at w (the rows left over after blocks of 4).
  (func $dot1x5 (param $x i32) (param $w i32) (param $out i32)
    (local $k i32) (local $xv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128)
    (loop $dot
      (local.set $xv (v128.load (i32.add (local.get $x) (local.get $k))))
      (local.set $a0 (f32x4.madd (local.get $xv) (v128.load offset=0 (i32.add (local.get $w) (local.get $k))) (local.get $a0)))
      (local.set $a1 (f32x4.madd (local.get $xv) (v128.load offset=${W_ROW_BYTES} (i32.add (local.get $w) (local.get $k))) (local.get $a1)))
      (local.set $a2 (f32x4.madd (local.get $xv) (v128.load offset=${2 * W_ROW_BYTES} (i32.add (local.get $w) (local.get $k))) (local.get $a2)))
      (local.set $a3 (f32x4.madd (local.get $xv) (v128.load offset=${3 * W_ROW_BYTES} (i32.add (local.get $w) (local.get $k))) (local.get $a3)))
      (local.set $a4 (f32x4.madd (local.get $xv) (v128.load offset=${4 * W_ROW_BYTES} (i32.add (local.get $w) (local.get $k))) (local.get $a4)))
      (br_if $dot (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (i32.const ${X_ROW_BYTES}))))
    ;; $hsum4 and $hsum written out (see $dot4x2)
    (local.set $a0 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a0) (local.get $a1)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a0) (local.get $a1))))
    (local.set $a2 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a2) (local.get $a3)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a2) (local.get $a3))))
    (local.set $a0 (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a0) (local.get $a2)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a0) (local.get $a2))))
    (v128.store (local.get $out) (local.get $a0))
    (local.set $a4 (f32x4.add (local.get $a4) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $a4) (local.get $a4))))
    (f32.store offset=16 (local.get $out) (f32.add (f32x4.extract_lane 0 (local.get $a4)) (f32x4.extract_lane 2 (local.get $a4)))))

  ;; For rows r < count, with n = order[start + r] (or start + r when order is 0):
  ;;   x[r] (392) ← images[n, col0 : col0+392] / 255          (gather + uint8 → f32)
  ;;   part[r, o] ← Σ_k x[r, k] · w[o, k]  for o < 10          (partial logits of this half)
  ;; Each dot product keeps 4 lane sums over k ≡ lane (mod 4), added as (s0 + s1) + (s2 + s3),
  ;; whichever block computes it (so the results do not depend on how rows fall into blocks).
  ;; Rows go in blocks of 4, the rest one at a time. The x rows of a block start at
  ;; x + r·xstep: xstep = X_ROW_BYTES keeps every row (for the backward pass), 0 reuses 4 scratch rows
  ;; (evaluation).
  (func $forward_partial (export "forward_partial")
    (param $images i32) (param $order i32) (param $start i32) (param $count i32) (param $col0 i32)
    (param $w i32) (param $x i32) (param $xstep i32) (param $part i32)
    (call $forward_rows (local.get $images) (local.get $order) (local.get $start) (local.get $count) (local.get $count)
                        (local.get $col0) (local.get $w) (local.get $x) (local.get $xstep) (local.get $part)))

  ;; forward_partial, touching ahead rows up to touchEnd (≥ count; rows from start) rather than
  ;; count: a unit of a shared forward pass (forward_shared) prefetches the next unit's first rows.
  (func $forward_rows
    (param $images i32) (param $order i32) (param $start i32) (param $count i32) (param $touchEnd i32) (param $col0 i32)
    (param $w i32) (param $x i32) (param $xstep i32) (param $part i32)
    (local $r i32) (local $i i32) (local $o i32) (local $sink i32) (local $xr i32) (local $pr i32)
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.gt_u (i32.add (local.get $r) (i32.const 4)) (local.get $count)))
        ;; touch the cache lines of rows r+8..r+11 in one burst (see $touch), then gather rows r..r+3
        (local.set $i (i32.add (local.get $r) (i32.const 8)))
        (block $touched
          (loop $touch_rows
            (br_if $touched (i32.or (i32.ge_u (local.get $i) (local.get $touchEnd))
                                    (i32.ge_u (local.get $i) (i32.add (local.get $r) (i32.const 12)))))
            (local.set $sink (i32.or (local.get $sink)
              (call $touch (call $row (local.get $images) (local.get $order) (i32.add (local.get $start) (local.get $i)) (local.get $col0)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $touch_rows)))
        (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $xstep))))
        (local.set $i (i32.const 0))
        (loop $gather_rows
          (call $gather (call $row (local.get $images) (local.get $order) (i32.add (local.get $start) (i32.add (local.get $r) (local.get $i))) (local.get $col0))
                        (i32.add (local.get $xr) (i32.mul (local.get $i) (i32.const ${X_ROW_BYTES}))))
          (br_if $gather_rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 4))))
        (local.set $pr (i32.add (local.get $part) (i32.mul (local.get $r) (i32.const ${PART_ROW_BYTES}))))
        (local.set $o (i32.const 0))
        (loop $pairs
          (call $dot4x2 (local.get $xr) (i32.add (local.get $w) (i32.mul (local.get $o) (i32.const ${W_ROW_BYTES})))
                        (i32.add (local.get $pr) (i32.shl (local.get $o) (i32.const 2))))
          (br_if $pairs (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 2))) (i32.const 10))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $blocks)))
    (block $rest_done
      (loop $rest
        (br_if $rest_done (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $xstep))))
        (call $gather (call $row (local.get $images) (local.get $order) (i32.add (local.get $start) (local.get $r)) (local.get $col0))
                      (local.get $xr))
        (local.set $pr (i32.add (local.get $part) (i32.mul (local.get $r) (i32.const ${PART_ROW_BYTES}))))
        (call $dot1x5 (local.get $xr) (local.get $w) (local.get $pr))
        (call $dot1x5 (local.get $xr) (i32.add (local.get $w) (i32.const ${5 * W_ROW_BYTES})) (i32.add (local.get $pr) (i32.const 20)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rest)))
    ;; keep the touches alive: a store of their bytes to the control block's sink word
    (i32.store (i32.const ${CONTROL_SINK}) (local.get $sink)))

;; The loss and its gradient for one step (lossCode: abi.ts LossCode). For rows r < count,
  ;; logits z (10) = (part0[r] + part1[r]) + b, then g[r] (the gradient of the batch's mean loss
  ;; with respect to z) by the loss:
  ;;   cross-entropy: P = softmax(z) with the row max subtracted, Y = (1−ε)·onehot(label) + ε/10,
  ;;                  g[r] ← (P − Y) / count
  ;;   mse:           g[r] ← P ⊙ (g' − Σ_c g'_c P_c) with g' = (P − Y) / count
  ;;   hinge:         g[r, j] ← [z_j − z_y + 1 > 0] / count for j ≠ y, g[r, y] ← −Σ_{j≠y} g[r, j]
  ;; Entries of softmax gradients with |g| < 2^−118 are set to 0: late in training some
  ;; probabilities are tiny, their products with pixels (≥ 1/255) would be subnormal, and a few
  ;; subnormals among normal operands made the backward pass 1.7× slower on this CPU (the
  ;; change to dW is below 1e-35; the reference keeps them).
  ;; With scratch ≠ 0 (count rows of SCRATCH_ROW_BYTES) also: the loss summed over the rows in
  ;; float64 (cross-entropy: Σ_r [ln Σ_c e^(z_c − m) − Σ_c y_c (z_c − m)]; mse: Σ_r ½ Σ_c
  ;; (P − Y)²; hinge: Σ_r Σ_{j≠y} max(0, z_j − z_y + 1)) and the count of rows whose first argmax
  ;; of z is the label.
  ;; out.finite ← 0 if any logit is NaN or ±inf (the caller then stops before updating, as the
  ;; reference does).
  ;; z is held as z0 = lanes 0–3, z1 = 4–7, z2 = 8, 9 and two unused lanes (0 from the loads).
  ;; Passes, so that no call sits inside a loop that keeps vectors live (a call makes V8 spill
  ;; every vector that lives across it): z − m into g (and cross-entropy's f32 pieces per row:
  ;; z_label, m, Σ z into scratch), exp of g in place (not for hinge), then the gradient per row
  ;; by the loss (with the row's Σ e or loss into scratch), then the float64 loss.
  ;; Vector constants used inside the loops come from the mutable globals above, read into locals
  ;; before each loop: V8 does not hoist a v128.const out of a loop and rebuilds it at each use
  ;; (3 instructions), which made this function 1.6× slower.
  (func $loss_step (export "loss_step")
    (param $part0 i32) (param $part1 i32) (param $bias i32) (param $labels i32) (param $order i32)
    (param $start i32) (param $count i32) (param $eps f32) (param $g i32) (param $out i32) (param $scratch i32)
    (param $lossCode i32)
    (local $r i32) (local $p0 i32) (local $p1 i32) (local $gp i32) (local $sp i32) (local $end i32)
    (local $label i32) (local $mask i32) (local $correct i32) (local $chunkEnd i32)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $z0 v128) (local $z1 v128) (local $z2 v128)
    (local $m v128) (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $inv v128) (local $lv v128)
    (local $ybase v128) (local $yhot v128) (local $bsize v128) (local $finite v128)
    (local $x v128) (local $n v128) (local $q v128) (local $t v128)
    (local $c_hi v128) (local $c_lo v128) (local $c_log2e v128) (local $c_magic v128) (local $c_nln2hi v128)
    (local $c_nln2lo v128) (local $c_p0 v128) (local $c_p1 v128) (local $c_p2 v128) (local $c_p3 v128)
    (local $c_p4 v128) (local $c_p5 v128) (local $c_one v128) (local $c_bias v128)
    (local $c_lanes0 v128) (local $c_lanes1 v128) (local $c_lanes2 v128) (local $c_tiny v128) (local $c_ten v128)
    (local $mf f32) (local $s f32) (local $positives i32) (local $q0 v128) (local $q1 v128) (local $q2 v128)
    (local $loss f64) (local $prod f64) (local $terms f64) (local $hot f64) (local $base f64)
    (local.set $b0 (v128.load (local.get $bias)))
    (local.set $b1 (v128.load offset=16 (local.get $bias)))
    (local.set $b2 (v128.load64_zero offset=32 (local.get $bias)))
    (local.set $ybase (f32x4.splat (f32.div (local.get $eps) (f32.const 10))))
    (local.set $yhot (f32x4.splat (f32.sub (f32.const 1) (local.get $eps))))
    (local.set $bsize (f32x4.splat (f32.convert_i32_u (local.get $count))))
    (local.set $end (i32.add (local.get $g) (i32.mul (local.get $count) (i32.const ${G_ROW_BYTES}))))
    ;; pass 1: g[r] ← z − m; with scratch also the argmax count and scratch[r] ← (·, z_label, m, Σ z)
    (local.set $p0 (local.get $part0))
    (local.set $p1 (local.get $part1))
    (local.set $gp (local.get $g))
    (local.set $sp (local.get $scratch))
    (block $done1
      (loop $rows1
        (br_if $done1 (i32.ge_u (local.get $gp) (local.get $end)))
        (local.set $z0 (f32x4.add (f32x4.add (v128.load (local.get $p0)) (v128.load (local.get $p1))) (local.get $b0)))
        (local.set $z1 (f32x4.add (f32x4.add (v128.load offset=16 (local.get $p0)) (v128.load offset=16 (local.get $p1))) (local.get $b1)))
        (local.set $z2 (f32x4.add (f32x4.add (v128.load64_zero offset=32 (local.get $p0)) (v128.load64_zero offset=32 (local.get $p1))) (local.get $b2)))
        ;; z − z is 0 for finite z and NaN otherwise (the unused lanes of z2 are 0)
        (local.set $finite (f32x4.add (local.get $finite)
          (f32x4.add (f32x4.add (f32x4.sub (local.get $z0) (local.get $z0)) (f32x4.sub (local.get $z1) (local.get $z1)))
                     (f32x4.sub (local.get $z2) (local.get $z2)))))
        ;; row max over the 10 real lanes (z2's lanes 0, 1 repeated in place of the unused ones);
        ;; pmax is one instruction where max is ~8 (a NaN logit stops the step through $finite)
        (local.set $m (f32x4.pmax (f32x4.pmax (local.get $z0) (local.get $z1))
                                  (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $z2) (local.get $z2))))
        (local.set $m (f32x4.pmax (local.get $m) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
        (local.set $m (f32x4.pmax (local.get $m) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $m) (local.get $m))))
        (v128.store offset=0 (local.get $gp) (f32x4.sub (local.get $z0) (local.get $m)))
        (v128.store offset=16 (local.get $gp) (f32x4.sub (local.get $z1) (local.get $m)))
        (v128.store offset=32 (local.get $gp) (f32x4.sub (local.get $z2) (local.get $m)))
        (if (local.get $scratch)
          (then
            (local.set $label (i32.load8_u (i32.add (local.get $labels)
              (if (result i32) (local.get $order)
                (then (i32.load (i32.add (local.get $order) (i32.shl (i32.add (local.get $start) (local.get $r)) (i32.const 2)))))
                (else (i32.add (local.get $start) (local.get $r)))))))
            ;; first lane equal to the max
            (local.set $mask (i32.or (i32.or (i32x4.bitmask (f32x4.eq (local.get $z0) (local.get $m)))
                                             (i32.shl (i32x4.bitmask (f32x4.eq (local.get $z1) (local.get $m))) (i32.const 4)))
                                     (i32.shl (i32.and (i32x4.bitmask (f32x4.eq (local.get $z2) (local.get $m))) (i32.const 3)) (i32.const 8))))
            (local.set $correct (i32.add (local.get $correct) (i32.eq (i32.ctz (local.get $mask)) (local.get $label))))
            (f32.store offset=4 (local.get $sp)
              (f32.add (f32.add (f32.load (i32.add (local.get $p0) (i32.shl (local.get $label) (i32.const 2))))
                                (f32.load (i32.add (local.get $p1) (i32.shl (local.get $label) (i32.const 2)))))
                       (f32.load (i32.add (local.get $bias) (i32.shl (local.get $label) (i32.const 2))))))
            (f32.store offset=8 (local.get $sp) (f32x4.extract_lane 0 (local.get $m)))
            ;; Σ z as $hsum(z0) + $hsum(z1) + (z2₀ + z2₁), the $hsum calls written out
            (local.set $z0 (f32x4.add (local.get $z0) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $z0) (local.get $z0))))
            (local.set $z1 (f32x4.add (local.get $z1) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $z1) (local.get $z1))))
            (f32.store offset=12 (local.get $sp)
              (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $z0)) (f32x4.extract_lane 2 (local.get $z0)))
                                (f32.add (f32x4.extract_lane 0 (local.get $z1)) (f32x4.extract_lane 2 (local.get $z1))))
                       (f32.add (f32x4.extract_lane 0 (local.get $z2)) (f32x4.extract_lane 1 (local.get $z2)))))
            (local.set $sp (i32.add (local.get $sp) (i32.const ${SCRATCH_ROW_BYTES})))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (local.set $p0 (i32.add (local.get $p0) (i32.const ${PART_ROW_BYTES})))
        (local.set $p1 (i32.add (local.get $p1) (i32.const ${PART_ROW_BYTES})))
        (local.set $gp (i32.add (local.get $gp) (i32.const ${G_ROW_BYTES})))
        (br $rows1)))
    (block $lossDone
      (if (i32.eq (local.get $lossCode) (i32.const ${LOSS_HINGE}))
        (then
          ;; pass 2 of hinge (cs231n's multiclass SVM loss, margin 1), instead of passes 2 and 3: with
          ;; d = z − m from pass 1, the margin of class j is (d_j − d_y) + 1 = z_j − z_y + 1. For j ≠ y,
          ;; g[r, j] ← 1/count where the margin is > 0 (0 at exactly 0, as cs231n's `margins > 0`),
          ;; g[r, y] ← −(number of such j)/count; with scratch, the row's loss Σ_j max(0, margin_j)
          ;; into scratch[r] +0. ε is not used: the hinge loss has no target distribution.
          (local.set $c_lanes0 (global.get $lanes0))
          (local.set $c_lanes1 (global.get $lanes1))
          (local.set $c_lanes2 (global.get $lanes2))
          (local.set $c_ten (global.get $ten_lanes))
          (local.set $c_one (global.get $f32x4_one))
          (local.set $inv (f32x4.splat (f32.div (f32.const 1) (f32.convert_i32_u (local.get $count)))))
          (local.set $r (i32.const 0))
          (local.set $gp (local.get $g))
          (local.set $sp (local.get $scratch))
          (block $doneH
            (loop $rowsH
              (br_if $doneH (i32.ge_u (local.get $gp) (local.get $end)))
              (local.set $label (i32.load8_u (i32.add (local.get $labels)
                (if (result i32) (local.get $order)
                  (then (i32.load (i32.add (local.get $order) (i32.shl (i32.add (local.get $start) (local.get $r)) (i32.const 2)))))
                  (else (i32.add (local.get $start) (local.get $r)))))))
              (local.set $lv (i32x4.splat (local.get $label)))
              (local.set $x (v128.load32_splat (i32.add (local.get $gp) (i32.shl (local.get $label) (i32.const 2))))) ;; d_y
              (local.set $e0 (f32x4.add (f32x4.sub (v128.load offset=0 (local.get $gp)) (local.get $x)) (local.get $c_one)))
              (local.set $e1 (f32x4.add (f32x4.sub (v128.load offset=16 (local.get $gp)) (local.get $x)) (local.get $c_one)))
              (local.set $e2 (f32x4.add (f32x4.sub (v128.load offset=32 (local.get $gp)) (local.get $x)) (local.get $c_one)))
              ;; q: lanes of the 10 classes, other than the label's, whose margin is positive
              (local.set $q0 (v128.andnot (f32x4.gt (local.get $e0) (v128.const i32x4 0 0 0 0)) (i32x4.eq (local.get $lv) (local.get $c_lanes0))))
              (local.set $q1 (v128.andnot (f32x4.gt (local.get $e1) (v128.const i32x4 0 0 0 0)) (i32x4.eq (local.get $lv) (local.get $c_lanes1))))
              (local.set $q2 (v128.and (v128.andnot (f32x4.gt (local.get $e2) (v128.const i32x4 0 0 0 0)) (i32x4.eq (local.get $lv) (local.get $c_lanes2)))
                                       (local.get $c_ten)))
              (v128.store offset=0 (local.get $gp) (v128.and (local.get $q0) (local.get $inv)))
              (v128.store offset=16 (local.get $gp) (v128.and (local.get $q1) (local.get $inv)))
              (v128.store offset=32 (local.get $gp) (v128.and (local.get $q2) (local.get $inv)))
              (local.set $positives (i32.add (i32.add (i32.popcnt (i32x4.bitmask (local.get $q0))) (i32.popcnt (i32x4.bitmask (local.get $q1))))
                                             (i32.popcnt (i32x4.bitmask (local.get $q2)))))
              (f32.store (i32.add (local.get $gp) (i32.shl (local.get $label) (i32.const 2)))
                (f32.neg (f32.div (f32.convert_i32_u (local.get $positives)) (f32.convert_i32_u (local.get $count)))))
              (if (local.get $scratch)
                (then
                  ;; Σ of the positive margins ($hsum of the three vectors' sum, written out)
                  (local.set $x (f32x4.add (f32x4.add (v128.and (local.get $e0) (local.get $q0)) (v128.and (local.get $e1) (local.get $q1)))
                                           (v128.and (local.get $e2) (local.get $q2))))
                  (local.set $x (f32x4.add (local.get $x) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $x) (local.get $x))))
                  (f32.store (local.get $sp) (f32.add (f32x4.extract_lane 0 (local.get $x)) (f32x4.extract_lane 2 (local.get $x))))
                  (local.set $sp (i32.add (local.get $sp) (i32.const ${SCRATCH_ROW_BYTES})))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (local.set $gp (i32.add (local.get $gp) (i32.const ${G_ROW_BYTES})))
              (br $rowsH)))
          (br $lossDone)))
      ;; pass 2: g ← e^g, 4 lanes at a time (Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, degree-6
      ;; polynomial, 2^n from the exponent bits; relative error ~1e-7). x is clamped to
      ;; [−87.3, 88.3]: e^−inf gives ~1e-38 instead of 0 (pass 3 masks the unused lanes); NaN stays
      ;; NaN (pmin(x, c) and pmax(x, c) return x when x is NaN). n = round(x·log2 e) by adding
      ;; 1.5·2^23 (ties to even, as f32x4.nearest), whose low mantissa bits are then n, so
      ;; 2^n = (bits + 127) << 23 for n in [−126, 127]. Its multiply-adds are the build's madd (fused
      ;; in the fma kernel: 31 instructions per 4 values where mul + add take 38).
      (local.set $c_hi (global.get $exp_hi))
      (local.set $c_lo (global.get $exp_lo))
      (local.set $c_log2e (global.get $exp_log2e))
      (local.set $c_magic (global.get $exp_magic))
      (local.set $c_nln2hi (global.get $exp_nln2hi))
      (local.set $c_nln2lo (global.get $exp_nln2lo))
      (local.set $c_p0 (global.get $exp_p0))
      (local.set $c_p1 (global.get $exp_p1))
      (local.set $c_p2 (global.get $exp_p2))
      (local.set $c_p3 (global.get $exp_p3))
      (local.set $c_p4 (global.get $exp_p4))
      (local.set $c_p5 (global.get $exp_p5))
      (local.set $c_one (global.get $f32x4_one))
      (local.set $c_bias (global.get $exp_bias))
      (local.set $gp (local.get $g))
      (block $done2
        (loop $exp
          (br_if $done2 (i32.ge_u (local.get $gp) (local.get $end)))
          (local.set $x (f32x4.pmax (f32x4.pmin (v128.load (local.get $gp)) (local.get $c_hi)) (local.get $c_lo)))
          (local.set $t (f32x4.madd (local.get $x) (local.get $c_log2e) (local.get $c_magic)))
          (local.set $n (f32x4.sub (local.get $t) (local.get $c_magic)))
          ;; r = x − n·ln2 with ln2 split in two so n·C1 is exact
          (local.set $x (f32x4.madd (local.get $n) (local.get $c_nln2hi) (local.get $x)))
          (local.set $x (f32x4.madd (local.get $n) (local.get $c_nln2lo) (local.get $x)))
          (local.set $q (f32x4.madd (local.get $c_p0) (local.get $x) (local.get $c_p1)))
          (local.set $q (f32x4.madd (local.get $q) (local.get $x) (local.get $c_p2)))
          (local.set $q (f32x4.madd (local.get $q) (local.get $x) (local.get $c_p3)))
          (local.set $q (f32x4.madd (local.get $q) (local.get $x) (local.get $c_p4)))
          (local.set $q (f32x4.madd (local.get $q) (local.get $x) (local.get $c_p5)))
          ;; (q·r² + r + 1) · 2^n
          (v128.store (local.get $gp)
            (f32x4.mul (f32x4.add (f32x4.madd (local.get $q) (f32x4.mul (local.get $x) (local.get $x)) (local.get $x))
                                  (local.get $c_one))
                       (i32x4.shl (i32x4.add (local.get $t) (local.get $c_bias)) (i32.const 23))))
          (local.set $gp (i32.add (local.get $gp) (i32.const 16)))
          (br $exp)))
      (if (i32.eq (local.get $lossCode) (i32.const ${LOSS_MSE}))
        (then
          ;; pass 3 of mse (squared error of the softmax outputs, as squaredErrorBackward), instead of
          ;; pass 3: per row P = e / Σ e, d = P − Y, g' = d / count, then
          ;; g[r] ← P ⊙ (g' − Σ_c g'_c P_c) (through the softmax Jacobian), |·| < 2^−118 flushed to 0
          ;; as in pass 3; with scratch, the row's loss ½ Σ_c d_c² into scratch[r] +0.
          (local.set $c_lanes0 (global.get $lanes0))
          (local.set $c_lanes1 (global.get $lanes1))
          (local.set $c_lanes2 (global.get $lanes2))
          (local.set $c_tiny (global.get $tiny))
          (local.set $c_ten (global.get $ten_lanes))
          (local.set $r (i32.const 0))
          (local.set $gp (local.get $g))
          (local.set $sp (local.get $scratch))
          (block $doneM
            (loop $rowsM
              (br_if $doneM (i32.ge_u (local.get $gp) (local.get $end)))
              (local.set $e0 (v128.load offset=0 (local.get $gp)))
              (local.set $e1 (v128.load offset=16 (local.get $gp)))
              (local.set $e2 (v128.and (v128.load offset=32 (local.get $gp)) (local.get $c_ten)))
              (local.set $x (f32x4.add (f32x4.add (local.get $e0) (local.get $e1)) (local.get $e2)))
              (local.set $x (f32x4.add (local.get $x) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $x) (local.get $x))))
              (local.set $inv (f32x4.splat (f32.div (f32.const 1) (f32.add (f32x4.extract_lane 0 (local.get $x)) (f32x4.extract_lane 2 (local.get $x))))))
              (local.set $label (i32.load8_u (i32.add (local.get $labels)
                (if (result i32) (local.get $order)
                  (then (i32.load (i32.add (local.get $order) (i32.shl (i32.add (local.get $start) (local.get $r)) (i32.const 2)))))
                  (else (i32.add (local.get $start) (local.get $r)))))))
              (local.set $lv (i32x4.splat (local.get $label)))
              ;; P (lanes 10, 11: 0)
              (local.set $e0 (f32x4.mul (local.get $e0) (local.get $inv)))
              (local.set $e1 (f32x4.mul (local.get $e1) (local.get $inv)))
              (local.set $e2 (f32x4.mul (local.get $e2) (local.get $inv)))
              ;; d = P − Y (lanes 10, 11: 0)
              (local.set $q0 (f32x4.sub (local.get $e0) (f32x4.add (local.get $ybase) (v128.and (local.get $yhot) (i32x4.eq (local.get $lv) (local.get $c_lanes0))))))
              (local.set $q1 (f32x4.sub (local.get $e1) (f32x4.add (local.get $ybase) (v128.and (local.get $yhot) (i32x4.eq (local.get $lv) (local.get $c_lanes1))))))
              (local.set $q2 (v128.and (f32x4.sub (local.get $e2) (f32x4.add (local.get $ybase) (v128.and (local.get $yhot) (i32x4.eq (local.get $lv) (local.get $c_lanes2)))))
                                       (local.get $c_ten)))
              (if (local.get $scratch)
                (then
                  (local.set $x (f32x4.add (f32x4.add (f32x4.mul (local.get $q0) (local.get $q0)) (f32x4.mul (local.get $q1) (local.get $q1)))
                                           (f32x4.mul (local.get $q2) (local.get $q2))))
                  (local.set $x (f32x4.add (local.get $x) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $x) (local.get $x))))
                  (f32.store (local.get $sp) (f32.mul (f32.const 0.5) (f32.add (f32x4.extract_lane 0 (local.get $x)) (f32x4.extract_lane 2 (local.get $x)))))
                  (local.set $sp (i32.add (local.get $sp) (i32.const ${SCRATCH_ROW_BYTES})))))
              ;; g' = d / count
              (local.set $q0 (f32x4.div (local.get $q0) (local.get $bsize)))
              (local.set $q1 (f32x4.div (local.get $q1) (local.get $bsize)))
              (local.set $q2 (f32x4.div (local.get $q2) (local.get $bsize)))
              ;; Σ_c g'_c P_c in every lane: pairs, then halves swapped (each lane adds the same values)
              (local.set $x (f32x4.add (f32x4.add (f32x4.mul (local.get $q0) (local.get $e0)) (f32x4.mul (local.get $q1) (local.get $e1)))
                                       (f32x4.mul (local.get $q2) (local.get $e2))))
              (local.set $x (f32x4.add (local.get $x) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $x) (local.get $x))))
              (local.set $x (f32x4.add (local.get $x) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
              (local.set $q0 (f32x4.mul (local.get $e0) (f32x4.sub (local.get $q0) (local.get $x))))
              (local.set $q1 (f32x4.mul (local.get $e1) (f32x4.sub (local.get $q1) (local.get $x))))
              (local.set $q2 (f32x4.mul (local.get $e2) (f32x4.sub (local.get $q2) (local.get $x))))
              (v128.store offset=0 (local.get $gp) (v128.and (local.get $q0) (f32x4.ge (f32x4.abs (local.get $q0)) (local.get $c_tiny))))
              (v128.store offset=16 (local.get $gp) (v128.and (local.get $q1) (f32x4.ge (f32x4.abs (local.get $q1)) (local.get $c_tiny))))
              (v128.store offset=32 (local.get $gp) (v128.and (local.get $q2) (f32x4.ge (f32x4.abs (local.get $q2)) (local.get $c_tiny))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (local.set $gp (i32.add (local.get $gp) (i32.const ${G_ROW_BYTES})))
              (br $rowsM)))
          (br $lossDone)))
      ;; pass 3: P, g = (P − Y)/count, and Σ e into scratch
      (local.set $c_lanes0 (global.get $lanes0))
      (local.set $c_lanes1 (global.get $lanes1))
      (local.set $c_lanes2 (global.get $lanes2))
      (local.set $c_tiny (global.get $tiny))
      (local.set $c_ten (global.get $ten_lanes))
      (local.set $r (i32.const 0))
      (local.set $gp (local.get $g))
      (local.set $sp (local.get $scratch))
      (block $done3
        (loop $rows3
          (br_if $done3 (i32.ge_u (local.get $gp) (local.get $end)))
          (local.set $e0 (v128.load offset=0 (local.get $gp)))
          (local.set $e1 (v128.load offset=16 (local.get $gp)))
          (local.set $e2 (v128.and (v128.load offset=32 (local.get $gp)) (local.get $c_ten)))
          (local.set $x (f32x4.add (f32x4.add (local.get $e0) (local.get $e1)) (local.get $e2)))
          (local.set $x (f32x4.add (local.get $x) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $x) (local.get $x))))
          (local.set $s (f32.add (f32x4.extract_lane 0 (local.get $x)) (f32x4.extract_lane 2 (local.get $x)))) ;; as $hsum
          (local.set $inv (f32x4.splat (f32.div (f32.const 1) (local.get $s))))
          ;; one-hot lane masks of the label
          (local.set $label (i32.load8_u (i32.add (local.get $labels)
            (if (result i32) (local.get $order)
              (then (i32.load (i32.add (local.get $order) (i32.shl (i32.add (local.get $start) (local.get $r)) (i32.const 2)))))
              (else (i32.add (local.get $start) (local.get $r)))))))
          (local.set $lv (i32x4.splat (local.get $label)))
          ;; (P − Y)/B with |·| < 2^−118 flushed to 0
          (local.set $x (f32x4.div (f32x4.sub (f32x4.mul (local.get $e0) (local.get $inv))
                                              (f32x4.add (local.get $ybase) (v128.and (local.get $yhot) (i32x4.eq (local.get $lv) (local.get $c_lanes0)))))
                                   (local.get $bsize)))
          (v128.store offset=0 (local.get $gp)
            (v128.and (local.get $x) (f32x4.ge (f32x4.abs (local.get $x)) (local.get $c_tiny))))
          (local.set $x (f32x4.div (f32x4.sub (f32x4.mul (local.get $e1) (local.get $inv))
                                              (f32x4.add (local.get $ybase) (v128.and (local.get $yhot) (i32x4.eq (local.get $lv) (local.get $c_lanes1)))))
                                   (local.get $bsize)))
          (v128.store offset=16 (local.get $gp)
            (v128.and (local.get $x) (f32x4.ge (f32x4.abs (local.get $x)) (local.get $c_tiny))))
          (local.set $x (f32x4.div (f32x4.sub (f32x4.mul (local.get $e2) (local.get $inv))
                                              (f32x4.add (local.get $ybase) (v128.and (local.get $yhot) (i32x4.eq (local.get $lv) (local.get $c_lanes2)))))
                                   (local.get $bsize)))
          (v128.store offset=32 (local.get $gp)
            (v128.and (local.get $x) (f32x4.ge (f32x4.abs (local.get $x)) (local.get $c_tiny))))
          (if (local.get $scratch)
            (then
              (f32.store (local.get $sp) (local.get $s))
              (local.set $sp (i32.add (local.get $sp) (i32.const ${SCRATCH_ROW_BYTES})))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (local.set $gp (i32.add (local.get $gp) (i32.const ${G_ROW_BYTES})))
          (br $rows3))))
    ;; pass 4: loss = Σ ln s − Σ [(1−ε)(z_label − m) + (ε/10) Σ_c (z_c − m)], rows in order,
    ;; in float64. The ln of the product of up to 256 rows' s (each in [1, 10], so the product is
    ;; ≤ 1e256 and cannot overflow) instead of one ln per row.
    (if (i32.and (i32.ne (local.get $scratch) (i32.const 0)) (i32.eqz (local.get $lossCode)))
      (then
        (local.set $sp (local.get $scratch))
        (local.set $end (i32.add (local.get $scratch) (i32.mul (local.get $count) (i32.const ${SCRATCH_ROW_BYTES}))))
        (local.set $hot (f64.promote_f32 (f32.sub (f32.const 1) (local.get $eps))))
        (local.set $base (f64.div (f64.promote_f32 (local.get $eps)) (f64.const 10)))
        (block $done4
          (loop $chunks
            (br_if $done4 (i32.ge_u (local.get $sp) (local.get $end)))
            (local.set $chunkEnd (select (local.get $end) (i32.add (local.get $sp) (i32.const ${256 * SCRATCH_ROW_BYTES}))
                                         (i32.lt_u (i32.sub (local.get $end) (local.get $sp)) (i32.const ${256 * SCRATCH_ROW_BYTES}))))
            (local.set $prod (f64.const 1))
            (loop $rows4
              (local.set $prod (f64.mul (local.get $prod) (f64.promote_f32 (f32.load offset=0 (local.get $sp)))))
              (local.set $mf (f32.load offset=8 (local.get $sp)))
              (local.set $terms (f64.add (local.get $terms)
                (f64.add (f64.mul (local.get $hot)
                                  (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $sp))) (f64.promote_f32 (local.get $mf))))
                         (f64.mul (local.get $base)
                                  (f64.sub (f64.promote_f32 (f32.load offset=12 (local.get $sp))) (f64.mul (f64.const 10) (f64.promote_f32 (local.get $mf))))))))
              (br_if $rows4 (i32.lt_u (local.tee $sp (i32.add (local.get $sp) (i32.const ${SCRATCH_ROW_BYTES}))) (local.get $chunkEnd))))
            (local.set $loss (f64.add (local.get $loss) (call $log (local.get $prod))))
            (br $chunks)))
        (local.set $loss (f64.sub (local.get $loss) (local.get $terms)))))
    ;; pass 4 of mse and hinge: their row losses (scratch[r] +0, f32) summed in float64
    (if (i32.and (i32.ne (local.get $scratch) (i32.const 0)) (i32.ne (local.get $lossCode) (i32.const 0)))
      (then
        (local.set $sp (local.get $scratch))
        (local.set $end (i32.add (local.get $scratch) (i32.mul (local.get $count) (i32.const ${SCRATCH_ROW_BYTES}))))
        (block $lossesDone
          (loop $rowLosses
            (br_if $lossesDone (i32.ge_u (local.get $sp) (local.get $end)))
            (local.set $loss (f64.add (local.get $loss) (f64.promote_f32 (f32.load (local.get $sp)))))
            (local.set $sp (i32.add (local.get $sp) (i32.const ${SCRATCH_ROW_BYTES})))
            (br $rowLosses)))))
    (f64.store offset=${OUT_LOSS} (local.get $out) (local.get $loss))
    (i32.store offset=${OUT_CORRECT} (local.get $out) (local.get $correct))
    (i32.store offset=${OUT_FINITE} (local.get $out)
      (i32.eq (i32x4.bitmask (f32x4.eq (local.get $finite) (local.get $finite))) (i32.const 15))))

  ;; b ← b − lr · Σ_r g[r]  (the bias is not decayed, as in sgd.ts)
  (func $bias_update (export "bias_update") (param $g i32) (param $count i32) (param $bias i32) (param $lr f32)
    (local $r i32) (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $lrv v128)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $d0 (f32x4.add (local.get $d0) (v128.load offset=0 (local.get $g))))
        (local.set $d1 (f32x4.add (local.get $d1) (v128.load offset=16 (local.get $g))))
        (local.set $d2 (f32x4.add (local.get $d2) (v128.load offset=32 (local.get $g))))
        (local.set $g (i32.add (local.get $g) (i32.const ${G_ROW_BYTES})))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows)))
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (v128.store (local.get $bias) (f32x4.sub (v128.load (local.get $bias)) (f32x4.mul (local.get $lrv) (local.get $d0))))
    (v128.store offset=16 (local.get $bias) (f32x4.sub (v128.load offset=16 (local.get $bias)) (f32x4.mul (local.get $lrv) (local.get $d1))))
    (v128.store64_lane offset=32 0 (local.get $bias)
      (f32x4.sub (v128.load64_zero offset=32 (local.get $bias)) (f32x4.mul (local.get $lrv) (local.get $d2)))))

  ;; For one half: dW[o, k] = Σ_r g[r, o] · x[r, k] (r in order 0..count−1, count ≥ 1), then
  ;; w[o, k] ← w[o, k] − lr · (dW[o, k] + wd · w[o, k]).
  ;; With norm ≠ 0 also Σ_{o,k} dW[o, k]² (the half's part of ‖dW‖_F², before weight decay) as
  ;; f64 at norm: the squares of each block's accumulators go into an f32x4 kept at norm (in
  ;; memory, so no register is held across the row loops), summed as $hsum at the end.
  ;; The work is cut into blocks of columns × outputs, one row loop per block: per row the block's
  ;; x vectors are loaded once, then for each output one splat of g and a multiply-add per vector
  ;; into the block's accumulators ($a<output>_<vector>). The macro backward_columns below is
  ;; generated by scripts/build-wasm.js from its BACKWARD_BLOCKS, per kernel: the best block depends on
  ;; the multiply-add (docs/performance.md, "Register blocking"):
  ;;   plain: 8 columns × outputs 0–2, 3–5 and 6–9 (6 or 8 accumulators; the add's short
  ;;          latency keeps 6 chains busy, 26 instructions per 8 multiply-adds);
  ;;   fma:   16 columns × 2 outputs (8 accumulators, as many as a 4-cycle fused multiply-add
  ;;          needs at 2 per cycle), 8 columns × 3/3/4 outputs for the last 8 columns.
  ;; Each block holds at most 8 accumulators + its x vectors + a splat ≤ 14 registers (V8 keeps
  ;; 15): V8 unrolls these row loops ×2 and may load every operand of a row up front, so larger
  ;; blocks (8 columns × 5 outputs) spill. Written out rather than as a function per block: V8
  ;; unrolls the row loops only when inline (7 % faster). Whatever the blocks, every dW[o, k] adds
  ;; its rows in order, so the parameters are the same bits; only the order in which the norm adds
  ;; the blocks' squares follows the blocks.
  (func $backward_update (export "backward_update")
    (param $x i32) (param $count i32) (param $g i32) (param $w i32) (param $lr f32) (param $wd f32) (param $norm i32)
    (local $c i32) (local $gend i32) (local $xp i32) (local $gp i32) (local $wp i32)
    (local $lrv v128) (local $wdv v128) (local $s v128) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $a0_0 v128) (local $a0_1 v128) (local $a0_2 v128) (local $a0_3 v128)
    (local $a1_0 v128) (local $a1_1 v128) (local $a1_2 v128) (local $a1_3 v128)
    (local $a2_0 v128) (local $a2_1 v128) (local $a2_2 v128) (local $a2_3 v128)
    (local $a3_0 v128) (local $a3_1 v128) (local $a3_2 v128) (local $a3_3 v128)
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (local.set $wdv (f32x4.splat (local.get $wd)))
    (if (local.get $norm) (then (v128.store (local.get $norm) (v128.const i32x4 0 0 0 0))))
    (backward_columns)
    (if (local.get $norm)
      (then (f64.store (local.get $norm) (f64.promote_f32 (call $hsum (v128.load (local.get $norm))))))))

  ;; sum[j] ← sum[j] + f64(src[j]) for j < n (n even): the running sums of tail averaging, the
  ;; same additions as addParameters in src/model/average.ts (f32 promoted, one f64 add each).
  ;; 8 values per iteration while 8 remain (a (10, 392) half is 490 of them), then pairs.
  (func $accumulate (export "accumulate") (param $src i32) (param $sum i32) (param $n i32)
    (local $end i32) (local $v v128) (local $u v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done8
      (loop $eights
        (br_if $done8 (i32.gt_u (i32.add (local.get $src) (i32.const 32)) (local.get $end)))
        (local.set $v (v128.load offset=0 (local.get $src)))
        (local.set $u (v128.load offset=16 (local.get $src)))
        (v128.store offset=0 (local.get $sum)
          (f64x2.add (v128.load offset=0 (local.get $sum)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=16 (local.get $sum)
          (f64x2.add (v128.load offset=16 (local.get $sum))
                     (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (v128.store offset=32 (local.get $sum)
          (f64x2.add (v128.load offset=32 (local.get $sum)) (f64x2.promote_low_f32x4 (local.get $u))))
        (v128.store offset=48 (local.get $sum)
          (f64x2.add (v128.load offset=48 (local.get $sum))
                     (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $u) (local.get $u)))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $sum (i32.add (local.get $sum) (i32.const 64)))
        (br $eights)))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $sum)
          (f64x2.add (v128.load (local.get $sum)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (local.set $sum (i32.add (local.get $sum) (i32.const 16)))
        (br $pairs))))

  ;; Rows r < count whose first argmax of (part0[r] + part1[r]) + b equals labels[r]; when
  ;; predicted ≠ 0 also predicted[r] (u8) ← that argmax, so the count and the predictions come
  ;; from the same comparisons. A row with a NaN logit predicts class 0.
  (func (export "count_correct")
    (param $part0 i32) (param $part1 i32) (param $bias i32) (param $labels i32) (param $count i32)
    (param $predicted i32) (result i32)
    (local $r i32) (local $p0 i32) (local $p1 i32) (local $correct i32) (local $mask i32) (local $best i32)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $z0 v128) (local $z1 v128) (local $z2 v128) (local $m v128)
    (local.set $b0 (v128.load (local.get $bias)))
    (local.set $b1 (v128.load offset=16 (local.get $bias)))
    (local.set $b2 (v128.load64_zero offset=32 (local.get $bias)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $p0 (i32.add (local.get $part0) (i32.mul (local.get $r) (i32.const ${PART_ROW_BYTES}))))
        (local.set $p1 (i32.add (local.get $part1) (i32.mul (local.get $r) (i32.const ${PART_ROW_BYTES}))))
        (local.set $z0 (f32x4.add (f32x4.add (v128.load (local.get $p0)) (v128.load (local.get $p1))) (local.get $b0)))
        (local.set $z1 (f32x4.add (f32x4.add (v128.load offset=16 (local.get $p0)) (v128.load offset=16 (local.get $p1))) (local.get $b1)))
        (local.set $z2 (f32x4.add (f32x4.add (v128.load64_zero offset=32 (local.get $p0)) (v128.load64_zero offset=32 (local.get $p1))) (local.get $b2)))
        (local.set $m (f32x4.max (f32x4.max (local.get $z0) (local.get $z1))
                                 (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $z2) (local.get $z2))))
        (local.set $m (f32x4.max (local.get $m) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
        (local.set $m (f32x4.max (local.get $m) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $m) (local.get $m))))
        (local.set $mask (i32.or (i32.or (i32x4.bitmask (f32x4.eq (local.get $z0) (local.get $m)))
                                         (i32.shl (i32x4.bitmask (f32x4.eq (local.get $z1) (local.get $m))) (i32.const 4)))
                                 (i32.shl (i32.and (i32x4.bitmask (f32x4.eq (local.get $z2) (local.get $m))) (i32.const 3)) (i32.const 8))))
        (local.set $best (select (i32.ctz (local.get $mask)) (i32.const 0) (local.get $mask)))
        (if (i32.eq (local.get $best) (i32.load8_u (i32.add (local.get $labels) (local.get $r))))
          (then (local.set $correct (i32.add (local.get $correct) (i32.const 1)))))
        (if (local.get $predicted)
          (then (i32.store8 (i32.add (local.get $predicted) (local.get $r)) (local.get $best))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows)))
    (local.get $correct))

  ;; ---- The step loop and the barrier: no JavaScript runs per step on the worker, and on the
  ;; main thread only what the hooks need (so V8 has little to optimise mid-training: its
  ;; background compiles of the JavaScript step loop took a core from one of the two threads).

  ;; Two-party barrier on the control words at the start of memory (abi.ts, Control): thread
  ;; t's barrier number at CONTROL_SEQ + 4t, its spin budget at CONTROL_SPIN_BUDGET + 4t. Publishes that thread `mine` (0 or 1) reached barrier n and returns once the other
  ;; thread has too: it spins first (a step's hand-off is a few µs, less than waking a sleeping
  ;; thread), then sleeps in memory.atomic.wait32. The spin budget adapts per thread: it doubles
  ;; (up to $spin reads) when spinning paid off and halves when it did not. On a busy machine,
  ;; where the two threads often share one core, spinning only steals time from the peer it waits
  ;; for; the budget then shrinks instead of turning every barrier into a long spin.
  (func $barrier (export "await_peer") (param $mine i32) (param $n i32)
    (local $maxSpin i32) (local $other i32) (local $budget i32) (local $i i32) (local $seen i32)
    (local.set $maxSpin (global.get $spin))
    (local.set $other (i32.shl (i32.xor (local.get $mine) (i32.const 1)) (i32.const 2)))
    (i32.atomic.store offset=${CONTROL_SEQ} (i32.shl (local.get $mine) (i32.const 2)) (local.get $n))
    (drop (memory.atomic.notify offset=${CONTROL_SEQ} (i32.shl (local.get $mine) (i32.const 2)) (i32.const 1)))
    (local.set $budget (i32.load offset=${CONTROL_SPIN_BUDGET} (i32.shl (local.get $mine) (i32.const 2))))
    (if (i32.le_s (local.get $budget) (i32.const 0)) (then (local.set $budget (local.get $maxSpin))))
    (block $slept
      (loop $spin
        (br_if $slept (i32.ge_u (local.get $i) (local.get $budget)))
        (if (i32.ge_s (i32.atomic.load offset=${CONTROL_SEQ} (local.get $other)) (local.get $n))
          (then
            (i32.store offset=${CONTROL_SPIN_BUDGET} (i32.shl (local.get $mine) (i32.const 2))
              (select (local.get $maxSpin) (i32.shl (local.get $budget) (i32.const 1))
                      (i32.gt_s (i32.shl (local.get $budget) (i32.const 1)) (local.get $maxSpin))))
            (return)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $spin)))
    (i32.store offset=${CONTROL_SPIN_BUDGET} (i32.shl (local.get $mine) (i32.const 2))
      (select (i32.const 16) (i32.shr_s (local.get $budget) (i32.const 1))
              (i32.lt_s (i32.shr_s (local.get $budget) (i32.const 1)) (i32.const 16))))
    (loop $sleep
      (local.set $seen (i32.atomic.load offset=${CONTROL_SEQ} (local.get $other)))
      (if (i32.lt_s (local.get $seen) (local.get $n))
        (then
          (drop (memory.atomic.wait32 offset=${CONTROL_SEQ} (local.get $other) (local.get $seen) (i64.const -1)))
          (br $sleep)))))


  ;; The forward pass of a step on two threads (forward_partial's work for both halves), shared
  ;; out so that the faster thread does more of it: the host often gives one vCPU less time than
  ;; the other, and with fixed halves every step then waits for the slower thread at the barrier.
  ;; A half's rows come in units of UNIT_ROWS. Thread `mine` takes its own half's units from the
  ;; front; then, once the peer has updated its half of W for this step (its word at
  ;; CONTROL_W_READY reached barrier number n), the peer's remaining units from the back, so that
  ;; in a balanced step each thread keeps to its own rows (and caches). The two ends share one
  ;; counter word per half and step parity at CONTROL_UNITS (front takes in the low 16 bits, back
  ;; takes in the high 16); one atomic add per take hands each unit to exactly one thread. A
  ;; forward row is the same whichever thread computes it (forward_partial's sums do not depend on
  ;; how rows are grouped), so the results stay bit-identical. The owner of a counter clears it
  ;; after the step's barrier (step_done), when neither thread takes from it any more. The wait for
  ;; the peer's W is a bounded spin: a peer that is not running gets its units done by itself.
  (func $forward_shared (export "forward_shared") (param $a i32) (param $mine i32) (param $n i32) (param $start i32) (param $count i32)
    (param $partOwn i32) (param $partPeer i32)
    (local $units i32) (local $counter i32) (local $r i32) (local $peer i32) (local $i i32)
    (local.set $units (i32.div_u (i32.add (local.get $count) (i32.const ${UNIT_ROWS - 1})) (i32.const ${UNIT_ROWS})))
    (local.set $peer (i32.xor (local.get $mine) (i32.const 1)))
    (i32.atomic.store offset=${CONTROL_W_READY} (i32.shl (local.get $mine) (i32.const 2)) (local.get $n))
    (local.set $counter (call $unit_counter (local.get $mine) (local.get $n)))
    (block $own_done
      (loop $own
        (br_if $own_done (i32.lt_s (local.tee $r (call $take_unit (local.get $counter) (i32.const 1) (local.get $units))) (i32.const 0)))
        (call $forward_unit (local.get $a) (local.get $start) (local.get $count) (local.get $r) (i32.mul (local.get $mine) (i32.const ${HALF}))
                            (i32.load offset=${ARGS_W} (local.get $a)) (i32.load offset=${ARGS_X} (local.get $a)) (local.get $partOwn))
        (br $own)))
    (local.set $counter (call $unit_counter (local.get $peer) (local.get $n)))
    (block $peer_done
      (loop $wait
        ;; the peer at the barrier has taken all of its units
        (br_if $peer_done (i32.ge_s (i32.atomic.load offset=${CONTROL_SEQ} (i32.shl (local.get $peer) (i32.const 2))) (local.get $n)))
        (br_if $peer_done (i32.ge_u (local.get $i) (global.get $spin)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $wait (i32.lt_s (i32.atomic.load offset=${CONTROL_W_READY} (i32.shl (local.get $peer) (i32.const 2))) (local.get $n))))
      (loop $steal
        (br_if $peer_done (i32.lt_s (local.tee $r (call $take_unit (local.get $counter) (i32.const 0x10000) (local.get $units))) (i32.const 0)))
        (call $forward_unit (local.get $a) (local.get $start) (local.get $count) (local.get $r) (i32.mul (local.get $peer) (i32.const ${HALF}))
                            (i32.load offset=${ARGS_PEER_W} (local.get $a)) (i32.load offset=${ARGS_PEER_X} (local.get $a)) (local.get $partPeer))
        (br $steal))))

  ;; Byte offset, from CONTROL_UNITS, of half h's unit counter for the step whose barrier number is n.
  (func $unit_counter (param $h i32) (param $n i32) (result i32)
    (i32.shl (i32.add (i32.shl (local.get $h) (i32.const 1)) (i32.and (local.get $n) (i32.const 1))) (i32.const 2)))

  ;; Takes a unit of the counter at `counter` (unit_counter): `take` = 1 from the front, 0x10000
  ;; from the back. Returns the unit's first row, or −1 when the two ends have met (none left).
  (func $take_unit (param $counter i32) (param $take i32) (param $units i32) (result i32)
    (local $old i32) (local $front i32) (local $back i32)
    (local.set $old (i32.atomic.rmw.add offset=${CONTROL_UNITS} (local.get $counter) (local.get $take)))
    (local.set $front (i32.and (local.get $old) (i32.const 0xffff)))
    (local.set $back (i32.shr_u (local.get $old) (i32.const 16)))
    (if (i32.ge_u (i32.add (local.get $front) (local.get $back)) (local.get $units)) (then (return (i32.const -1))))
    (i32.mul (select (local.get $front) (i32.sub (i32.sub (local.get $units) (i32.const 1)) (local.get $back))
                     (i32.eq (local.get $take) (i32.const 1)))
             (i32.const ${UNIT_ROWS})))

  ;; One unit of a half's forward pass: rows r … r + UNIT_ROWS − 1 of the step (fewer at its end)
  ;; through forward_rows, with that half's col0, W, x and partial logits, touching ahead up to
  ;; the step's last row.
  (func $forward_unit (param $a i32) (param $start i32) (param $count i32) (param $r i32) (param $col0 i32)
    (param $w i32) (param $x i32) (param $part i32)
    (local $rows i32)
    (local.set $rows (i32.sub (local.get $count) (local.get $r)))
    (call $forward_rows (i32.load offset=${ARGS_IMAGES} (local.get $a)) (i32.load offset=${ARGS_ORDER} (local.get $a))
                        (i32.add (local.get $start) (local.get $r))
                        (select (i32.const ${UNIT_ROWS}) (local.get $rows) (i32.gt_u (local.get $rows) (i32.const ${UNIT_ROWS})))
                        (local.get $rows) (local.get $col0) (local.get $w)
                        (i32.add (local.get $x) (i32.mul (local.get $r) (i32.const ${X_ROW_BYTES})))
                        (i32.const ${X_ROW_BYTES})
                        (i32.add (local.get $part) (i32.mul (local.get $r) (i32.const ${PART_ROW_BYTES})))))

  ;; After the barrier of a shared forward pass: thread `mine` clears its half's unit counter for
  ;; that step's parity (both threads are past their takes from it).
  (func $step_done (param $mine i32) (param $n i32)
    (i32.atomic.store offset=${CONTROL_UNITS} (call $unit_counter (local.get $mine) (local.get $n)) (i32.const 0)))

  ;; The arguments of an epoch, one block per thread at $a (abi.ts StepArgs, ARGS_* below): the
  ;; images, labels and order, n, the batch size, the barrier number before the epoch, the partial
  ;; logits (2 step parities × 2 threads) and their stride, lr, wd, ε, the loss; this thread's x,
  ;; g, w, bias, out, running sums of tail averaging (values added per step, 0 when not
  ;; averaging) and per-step Σ dW² slots; main thread only: half 1's x, w, sums and Σ dW² slots
  ;; when it runs both halves (1 thread; x1 = 0 with 2 threads), loss_step's scratch, Σ b and
  ;; values added to it per step.
  ;; Step s covers examples order[s·batch .. min(n, (s+1)·batch)).

  ;; One step on the main thread: forward of half 0 and half 1 with one thread; with the worker,
  ;; its share of the forward pass (forward_shared) and the barrier base + s + 1; the loss and its gradient, then, if every logit was finite,
  ;; the SGD update of b and of W's half(s), the running sums and the halves' Σ dW². Returns 1 when the update was
  ;; applied, 0 when a logit was not finite (nothing updated; the worker stops at the same step),
  ;; −1 when the worker failed (Control.failed). The step's loss and correct count are at out.
  (func (export "main_step") (param $a i32) (param $s i32) (result i32)
    (local $start i32) (local $count i32) (local $part0 i32) (local $part1 i32) (local $one i32) (local $n i32)
    (local.set $start (i32.mul (local.get $s) (i32.load offset=${ARGS_BATCH} (local.get $a))))
    (local.set $count (i32.sub (i32.load offset=${ARGS_N} (local.get $a)) (local.get $start)))
    (if (i32.gt_u (local.get $count) (i32.load offset=${ARGS_BATCH} (local.get $a)))
      (then (local.set $count (i32.load offset=${ARGS_BATCH} (local.get $a)))))
    (local.set $part0 (i32.add (i32.load offset=${ARGS_PART} (local.get $a))
                               (i32.mul (i32.and (local.get $s) (i32.const 1)) (i32.shl (i32.load offset=${ARGS_PART_STRIDE} (local.get $a)) (i32.const 1)))))
    (local.set $part1 (i32.add (local.get $part0) (i32.load offset=${ARGS_PART_STRIDE} (local.get $a))))
    (local.set $one (i32.ne (i32.load offset=${ARGS_X1} (local.get $a)) (i32.const 0)))
    (local.set $n (i32.add (i32.load offset=${ARGS_BASE} (local.get $a)) (i32.add (local.get $s) (i32.const 1))))
    (if (local.get $one)
      (then
        (call $forward_partial (i32.load offset=${ARGS_IMAGES} (local.get $a)) (i32.load offset=${ARGS_ORDER} (local.get $a)) (local.get $start) (local.get $count)
                               (i32.const 0) (i32.load offset=${ARGS_W} (local.get $a)) (i32.load offset=${ARGS_X} (local.get $a)) (i32.const ${X_ROW_BYTES}) (local.get $part0))
        (call $forward_partial (i32.load offset=${ARGS_IMAGES} (local.get $a)) (i32.load offset=${ARGS_ORDER} (local.get $a)) (local.get $start) (local.get $count)
                               (i32.const ${HALF}) (i32.load offset=${ARGS_W1} (local.get $a)) (i32.load offset=${ARGS_X1} (local.get $a)) (i32.const ${X_ROW_BYTES}) (local.get $part1)))
      (else
        (call $forward_shared (local.get $a) (i32.const 0) (local.get $n) (local.get $start) (local.get $count) (local.get $part0) (local.get $part1))
        (call $barrier (i32.const 0) (local.get $n))
        (call $step_done (i32.const 0) (local.get $n))
        (if (i32.atomic.load (i32.const ${CONTROL_FAILED})) (then (return (i32.const -1))))))
    (call $loss_step (local.get $part0) (local.get $part1) (i32.load offset=${ARGS_BIAS} (local.get $a)) (i32.load offset=${ARGS_LABELS} (local.get $a))
                     (i32.load offset=${ARGS_ORDER} (local.get $a)) (local.get $start) (local.get $count) (f32.load offset=${ARGS_EPS} (local.get $a))
                     (i32.load offset=${ARGS_G} (local.get $a)) (i32.load offset=${ARGS_OUT} (local.get $a)) (i32.load offset=${ARGS_SCRATCH} (local.get $a))
                     (i32.load offset=${ARGS_LOSS} (local.get $a)))
    (if (i32.ne (i32.load offset=${OUT_FINITE} (i32.load offset=${ARGS_OUT} (local.get $a))) (i32.const 1)) (then (return (i32.const 0))))
    (call $bias_update (i32.load offset=${ARGS_G} (local.get $a)) (local.get $count) (i32.load offset=${ARGS_BIAS} (local.get $a)) (f32.load offset=${ARGS_LR} (local.get $a)))
    (call $backward_update (i32.load offset=${ARGS_X} (local.get $a)) (local.get $count) (i32.load offset=${ARGS_G} (local.get $a)) (i32.load offset=${ARGS_W} (local.get $a))
                           (f32.load offset=${ARGS_LR} (local.get $a)) (f32.load offset=${ARGS_WD} (local.get $a))
                           (i32.add (i32.load offset=${ARGS_NORMS} (local.get $a)) (i32.mul (local.get $s) (i32.const ${NORM_SLOT_BYTES}))))
    (call $accumulate (i32.load offset=${ARGS_W} (local.get $a)) (i32.load offset=${ARGS_SUM} (local.get $a)) (i32.load offset=${ARGS_SUM_VALUES} (local.get $a)))
    (if (local.get $one)
      (then
        (call $backward_update (i32.load offset=${ARGS_X1} (local.get $a)) (local.get $count) (i32.load offset=${ARGS_G} (local.get $a)) (i32.load offset=${ARGS_W1} (local.get $a))
                               (f32.load offset=${ARGS_LR} (local.get $a)) (f32.load offset=${ARGS_WD} (local.get $a))
                               (i32.add (i32.load offset=${ARGS_NORMS1} (local.get $a)) (i32.mul (local.get $s) (i32.const ${NORM_SLOT_BYTES}))))
        (call $accumulate (i32.load offset=${ARGS_W1} (local.get $a)) (i32.load offset=${ARGS_SUM1} (local.get $a)) (i32.load offset=${ARGS_SUM_VALUES} (local.get $a)))))
    (call $accumulate (i32.load offset=${ARGS_BIAS} (local.get $a)) (i32.load offset=${ARGS_BIAS_SUM} (local.get $a)) (i32.load offset=${ARGS_BIAS_SUM_VALUES} (local.get $a)))
    (i32.const 1))

  ;; A whole epoch on the worker, half 1, step for step with main_step: its share of the forward
  ;; pass (forward_shared), the barrier,
  ;; the gradient of the loss (not the loss: the main thread reports it), the updates of its own
  ;; copy of b and of its half of W, its running sums and its half's Σ dW². Leaves after the barrier at which the main thread
  ;; stopped the epoch (Control.stopAt), or at a step with a non-finite logit (the main
  ;; thread sees the same and stops too), or after the last step, meeting the main thread at its
  ;; final barrier.
  (func (export "worker_epoch") (param $a i32)
    (local $s i32) (local $steps i32) (local $base i32) (local $final i32)
    (local $start i32) (local $count i32) (local $part0 i32) (local $part1 i32) (local $n i32)
    (local.set $steps (i32.div_u (i32.sub (i32.add (i32.load offset=${ARGS_N} (local.get $a)) (i32.load offset=${ARGS_BATCH} (local.get $a))) (i32.const 1))
                                 (i32.load offset=${ARGS_BATCH} (local.get $a))))
    (local.set $base (i32.load offset=${ARGS_BASE} (local.get $a)))
    (local.set $final (i32.add (i32.add (local.get $base) (local.get $steps)) (i32.const 1)))
    (block $done
      (loop $steps
        (br_if $done (i32.ge_u (local.get $s) (local.get $steps)))
        (local.set $start (i32.mul (local.get $s) (i32.load offset=${ARGS_BATCH} (local.get $a))))
        (local.set $count (i32.sub (i32.load offset=${ARGS_N} (local.get $a)) (local.get $start)))
        (if (i32.gt_u (local.get $count) (i32.load offset=${ARGS_BATCH} (local.get $a)))
          (then (local.set $count (i32.load offset=${ARGS_BATCH} (local.get $a)))))
        (local.set $part0 (i32.add (i32.load offset=${ARGS_PART} (local.get $a))
                                   (i32.mul (i32.and (local.get $s) (i32.const 1)) (i32.shl (i32.load offset=${ARGS_PART_STRIDE} (local.get $a)) (i32.const 1)))))
        (local.set $part1 (i32.add (local.get $part0) (i32.load offset=${ARGS_PART_STRIDE} (local.get $a))))
        ;; this step's barrier number
        (local.set $n (i32.add (local.get $base) (i32.add (local.get $s) (i32.const 1))))
        (call $forward_shared (local.get $a) (i32.const 1) (local.get $n)
                              (local.get $start) (local.get $count) (local.get $part1) (local.get $part0))
        (call $barrier (i32.const 1) (local.get $n))
        (call $step_done (i32.const 1) (local.get $n))
        (if (i32.eq (i32.atomic.load (i32.const ${CONTROL_STOP_AT})) (local.get $n))
          (then (return))) ;; that barrier was the main thread's last one
        (call $loss_step (local.get $part0) (local.get $part1) (i32.load offset=${ARGS_BIAS} (local.get $a)) (i32.load offset=${ARGS_LABELS} (local.get $a))
                         (i32.load offset=${ARGS_ORDER} (local.get $a)) (local.get $start) (local.get $count) (f32.load offset=${ARGS_EPS} (local.get $a))
                         (i32.load offset=${ARGS_G} (local.get $a)) (i32.load offset=${ARGS_OUT} (local.get $a)) (i32.const 0)
                         (i32.load offset=${ARGS_LOSS} (local.get $a)))
        (if (i32.ne (i32.load offset=${OUT_FINITE} (i32.load offset=${ARGS_OUT} (local.get $a))) (i32.const 1))
          (then
            (local.set $final (i32.add (local.get $n) (i32.const 1)))
            (br $done)))
        (call $bias_update (i32.load offset=${ARGS_G} (local.get $a)) (local.get $count) (i32.load offset=${ARGS_BIAS} (local.get $a)) (f32.load offset=${ARGS_LR} (local.get $a)))
        (call $backward_update (i32.load offset=${ARGS_X} (local.get $a)) (local.get $count) (i32.load offset=${ARGS_G} (local.get $a)) (i32.load offset=${ARGS_W} (local.get $a))
                               (f32.load offset=${ARGS_LR} (local.get $a)) (f32.load offset=${ARGS_WD} (local.get $a))
                               (i32.add (i32.load offset=${ARGS_NORMS} (local.get $a)) (i32.mul (local.get $s) (i32.const ${NORM_SLOT_BYTES}))))
        (call $accumulate (i32.load offset=${ARGS_W} (local.get $a)) (i32.load offset=${ARGS_SUM} (local.get $a)) (i32.load offset=${ARGS_SUM_VALUES} (local.get $a)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $steps)))
    (call $barrier (i32.const 1) (local.get $final)))
)
