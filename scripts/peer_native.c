// Native reference for `npm run bench:peers`: the same job as `softmax train --epochs 10 --lr 0.1
// --batch-size 256` written in C, to show what this hardware does when nothing stands between the
// maths and the CPU. Per minibatch: gather the shuffled uint8 rows scaled by 1/255, logits =
// X Wᵀ + b, stable softmax and cross-entropy, G = (P − Y)/B, dW = Gᵀ X, db = Σ G, SGD; after each
// epoch the test accuracy. AVX2 + FMA intrinsics when compiled for a CPU that has them (the
// benchmark builds it with `gcc -O3 -march=native`), plain loops otherwise; 1 or more threads.
// Prints one JSON object like the Python peers (seconds of each epoch, training pass +
// evaluation; data-load seconds; train loss of each epoch; final test accuracy).
// It is a measuring stick, not a backend: the shuffle is its own (a seeded xorshift), so its
// numbers match ours in size, not bit for bit; it does no tail averaging.
//
// Work split over T threads, as the wasm kernel splits it: thread t owns the columns
// [t·784/T, (t+1)·784/T) of X and W. Each thread gathers its columns of the batch and computes
// partial logits; one barrier; every thread then sums the partials (in thread order, so any T
// gives the same logits up to the partition), computes softmax and G for the whole batch
// redundantly (B×10, cheap) and updates its own columns of W and its own copy of b. The partials
// are double-buffered by step parity, so one barrier per step suffices. Evaluation splits the
// test rows between the threads.
//
// Build: gcc -O3 -march=native -pthread peer_native.c -lz -lm
// Usage: peer_native [--threads N] [--epochs E]   (data: the directories of $PEER_DATA_DIRS, else
// /usr/share/datasets/fashion-mnist; each file raw or .gz, read through zlib)
#define _GNU_SOURCE
#include <math.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ISA "avx2+fma"
#else
#define ISA "scalar"
#endif

enum { INPUTS = 784, CLASSES = 10, BATCH = 256, MAX_THREADS = 8, EVAL_ROWS = 32, PREFETCH_ROWS = 8 };
static const float LR = 0.1f;

// ---- data -------------------------------------------------------------------------------------

typedef struct {
  uint8_t *images; // (n, 784)
  uint8_t *labels; // (n)
  int n;
} Set;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *name) {
  fprintf(stderr, "peer_native: %s: %s\n", what, name);
  exit(1);
}

// Reads all of `name` (raw, else .gz through zlib) from the first directory of
// $PEER_DATA_DIRS (colon-separated, as peer_data.py reads it) holding it, else from Debian's
// /usr/share/datasets/fashion-mnist. Returns a malloc'd buffer and its size.
static uint8_t *read_file(const char *name, size_t *size) {
  const char *env = getenv("PEER_DATA_DIRS");
  char dirs[8192];
  snprintf(dirs, sizeof dirs, "%s", env && *env ? env : "/usr/share/datasets/fashion-mnist");
  char path[8400];
  for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *raw = fopen(path, "rb");
    if (raw) { // the raw payload (the data cache): one read of the whole file
      fseek(raw, 0, SEEK_END);
      size_t len = (size_t)ftell(raw);
      rewind(raw);
      uint8_t *buf = malloc(len);
      if (fread(buf, 1, len, raw) != len) die("cannot read", path);
      fclose(raw);
      *size = len;
      return buf;
    }
    snprintf(path, sizeof path, "%s/%s.gz", dir, name);
    gzFile f = gzopen(path, "rb");
    if (!f) continue;
    gzbuffer(f, 1 << 20);
    size_t cap = 1 << 22, len = 0;
    uint8_t *buf = malloc(cap);
    int got;
    while ((got = gzread(f, buf + len, (unsigned)(cap - len))) > 0) {
      len += (size_t)got;
      if (len == cap) buf = realloc(buf, cap *= 2);
    }
    gzclose(f);
    if (got < 0) die("cannot decompress", path);
    *size = len;
    return buf;
  }
  die("not found in $PEER_DATA_DIRS or /usr/share/datasets/fashion-mnist", name);
  return NULL;
}

static Set load_set(const char *images_name, const char *labels_name) {
  size_t isize, lsize;
  uint8_t *images = read_file(images_name, &isize);
  uint8_t *labels = read_file(labels_name, &lsize);
  if (isize < 16 || lsize < 8 || images[3] != 3 || labels[3] != 1) die("not an IDX images/labels pair", images_name);
  int n = (labels[4] << 24) | (labels[5] << 16) | (labels[6] << 8) | labels[7];
  if (isize != 16 + (size_t)n * INPUTS || lsize != 8 + (size_t)n) die("size does not match the header", images_name);
  return (Set){images + 16, labels + 8, n}; // past the IDX headers (kept for the process's life)
}

// ---- seeded randomness (xorshift64*, Box–Muller) ------------------------------------------------

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}
static double rng_uniform(void) { return ((rng_next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }

static void shuffle(uint32_t *order, int n) {
  for (int i = 0; i < n; i++) order[i] = (uint32_t)i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(rng_next() % (uint64_t)(i + 1));
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

// ---- kernels ----------------------------------------------------------------------------------
// Column ranges [c0, c1) are multiples of 8 (784 = 98·8; split points are rounded to 8).

// x[r][k − c0] ← images[rows[r]][k] / 255 for k in [c0, c1); rows == NULL means row first + r.
static void gather(float *x, int xstride, const uint8_t *images, const uint32_t *rows, int first, int count, int c0,
                   int c1) {
  const float scale = 1.0f / 255.0f;
  for (int r = 0; r < count; r++) {
    const uint8_t *src = images + (size_t)(rows ? rows[first + r] : (uint32_t)(first + r)) * INPUTS;
    if (rows && r + PREFETCH_ROWS < count) { // shuffled rows defeat the hardware prefetcher: ask ahead
      const uint8_t *next = images + (size_t)rows[first + r + PREFETCH_ROWS] * INPUTS;
      for (int k = c0 & ~63; k < c1; k += 64) __builtin_prefetch(next + k);
    }
    float *dst = x + (size_t)r * xstride;
#if defined(__AVX2__) && defined(__FMA__)
    const __m256 vscale = _mm256_set1_ps(scale);
    for (int k = c0; k < c1; k += 8) {
      __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(src + k)));
      _mm256_storeu_ps(dst + (k - c0), _mm256_mul_ps(_mm256_cvtepi32_ps(v), vscale));
    }
#else
    for (int k = c0; k < c1; k++) dst[k - c0] = src[k] * scale;
#endif
  }
}

#if defined(__AVX2__) && defined(__FMA__)
static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#endif

// out[r][o] = Σ_{k∈[c0,c1)} x[r][k − c0] · w[o][k] for r < count: 2 rows × 5 classes per block
// (10 accumulators, 7 loads per 10 FMAs; W's 31 KB stay in L1).
static void forward(float *out, const float *x, int xstride, const float *w, int count, int c0, int c1) {
  int r = 0;
#if defined(__AVX2__) && defined(__FMA__)
  for (; r + 2 <= count; r += 2) {
    const float *x0 = x + (size_t)r * xstride, *x1 = x0 + xstride;
    for (int o0 = 0; o0 < CLASSES; o0 += 5) {
      __m256 a[2][5];
      for (int i = 0; i < 5; i++) a[0][i] = a[1][i] = _mm256_setzero_ps();
      for (int k = c0; k < c1; k += 8) {
        __m256 v0 = _mm256_loadu_ps(x0 + (k - c0)), v1 = _mm256_loadu_ps(x1 + (k - c0));
        for (int i = 0; i < 5; i++) {
          __m256 wv = _mm256_loadu_ps(w + (size_t)(o0 + i) * INPUTS + k);
          a[0][i] = _mm256_fmadd_ps(v0, wv, a[0][i]);
          a[1][i] = _mm256_fmadd_ps(v1, wv, a[1][i]);
        }
      }
      for (int i = 0; i < 5; i++) {
        out[r * CLASSES + o0 + i] = hsum(a[0][i]);
        out[(r + 1) * CLASSES + o0 + i] = hsum(a[1][i]);
      }
    }
  }
#endif
  for (; r < count; r++)
    for (int o = 0; o < CLASSES; o++) {
      float s = 0;
      for (int k = c0; k < c1; k++) s += x[(size_t)r * xstride + (k - c0)] * w[(size_t)o * INPUTS + k];
      out[r * CLASSES + o] = s;
    }
}

// w[o][k] −= lr · Σ_r g[r][o] · x[r][k − c0] for k in [c0, c1): dW = Gᵀ X and the SGD update in
// one pass. 16 columns × 5 classes per block (10 accumulators; per row 2 loads of X and 5
// broadcasts of G for 10 FMAs); both class halves run while the block's 16 columns of X are in L1.
static void backward_update(float *w, const float *g, const float *x, int xstride, int count, int c0, int c1, float lr) {
  int k = c0;
#if defined(__AVX2__) && defined(__FMA__)
  const __m256 vlr = _mm256_set1_ps(lr);
  for (; k + 16 <= c1; k += 16) {
    for (int o0 = 0; o0 < CLASSES; o0 += 5) {
      __m256 a[5][2];
      for (int i = 0; i < 5; i++) a[i][0] = a[i][1] = _mm256_setzero_ps();
      for (int r = 0; r < count; r++) {
        const float *xr = x + (size_t)r * xstride + (k - c0);
        __m256 v0 = _mm256_loadu_ps(xr), v1 = _mm256_loadu_ps(xr + 8);
        for (int i = 0; i < 5; i++) {
          __m256 gv = _mm256_broadcast_ss(g + r * CLASSES + o0 + i);
          a[i][0] = _mm256_fmadd_ps(gv, v0, a[i][0]);
          a[i][1] = _mm256_fmadd_ps(gv, v1, a[i][1]);
        }
      }
      for (int i = 0; i < 5; i++) {
        float *wr = w + (size_t)(o0 + i) * INPUTS + k;
        _mm256_storeu_ps(wr, _mm256_fnmadd_ps(vlr, a[i][0], _mm256_loadu_ps(wr)));
        _mm256_storeu_ps(wr + 8, _mm256_fnmadd_ps(vlr, a[i][1], _mm256_loadu_ps(wr + 8)));
      }
    }
  }
  for (; k + 8 <= c1; k += 8) { // a last block of 8 columns (392 = 24·16 + 8): all 10 classes at once
    __m256 a[CLASSES];
    for (int o = 0; o < CLASSES; o++) a[o] = _mm256_setzero_ps();
    for (int r = 0; r < count; r++) {
      __m256 v = _mm256_loadu_ps(x + (size_t)r * xstride + (k - c0));
      for (int o = 0; o < CLASSES; o++) a[o] = _mm256_fmadd_ps(_mm256_broadcast_ss(g + r * CLASSES + o), v, a[o]);
    }
    for (int o = 0; o < CLASSES; o++) {
      float *wr = w + (size_t)o * INPUTS + k;
      _mm256_storeu_ps(wr, _mm256_fnmadd_ps(vlr, a[o], _mm256_loadu_ps(wr)));
    }
  }
#endif
  for (; k < c1; k++)
    for (int o = 0; o < CLASSES; o++) {
      float s = 0;
      for (int r = 0; r < count; r++) s += g[r * CLASSES + o] * x[(size_t)r * xstride + (k - c0)];
      w[(size_t)o * INPUTS + k] -= lr * s;
    }
}

// From the logits (count, 10): stable softmax, cross-entropy, argmax, and g = (P − Y)/count.
// Returns the summed loss; adds the correct predictions to *correct.
static double softmax_xent(float *g, const float *logits, const uint8_t *labels, const uint32_t *rows, int first,
                           int count, long *correct) {
  double loss = 0;
  const float inv = 1.0f / (float)count;
  for (int r = 0; r < count; r++) {
    const float *l = logits + r * CLASSES;
    int y = labels[rows[first + r]], best = 0;
    float m = l[0];
    for (int o = 1; o < CLASSES; o++)
      if (l[o] > m) m = l[o], best = o;
    float e[CLASSES], s = 0;
    for (int o = 0; o < CLASSES; o++) s += e[o] = expf(l[o] - m); // subtract the max: no overflow
    loss += logf(s) + m - l[y];                                     // log-sum-exp − logit of y
    *correct += best == y;
    const float is = 1.0f / s;
    for (int o = 0; o < CLASSES; o++) g[r * CLASSES + o] = (e[o] * is - (o == y)) * inv;
  }
  return loss;
}

// ---- threads ----------------------------------------------------------------------------------

// A sense-reversing barrier that spins briefly (~10–20 µs, as the wasm kernel's does), then sleeps
// on a futex: a futex-only barrier costs a wake-up per step, and a spin-only one wrecks a busy
// machine where the threads share a core.
static atomic_int barrier_count;
static atomic_int barrier_sense;
static atomic_int barrier_sleepers;
static int nthreads = 1;

static void barrier(int *local_sense) {
  if (nthreads == 1) return;
  const int sense = *local_sense = !*local_sense;
  if (atomic_fetch_add(&barrier_count, 1) == nthreads - 1) {
    atomic_store(&barrier_count, 0);
    atomic_store(&barrier_sense, sense);
    if (atomic_load(&barrier_sleepers) > 0)
      syscall(SYS_futex, &barrier_sense, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
    return;
  }
  for (int spins = 0; spins < 20000; spins++)
    if (atomic_load_explicit(&barrier_sense, memory_order_acquire) == sense) return;
  atomic_fetch_add(&barrier_sleepers, 1);
  // FUTEX_WAIT returns at once if the sense has already flipped (it compares atomically).
  while (atomic_load(&barrier_sense) != sense)
    syscall(SYS_futex, &barrier_sense, FUTEX_WAIT_PRIVATE, !sense, NULL, NULL, 0);
  atomic_fetch_sub(&barrier_sleepers, 1);
}

static Set train_set, test_set;
static float *W;                             // (10, 784), columns shared out between threads
static float partial[2][MAX_THREADS][BATCH * CLASSES]; // per step parity, per thread
static uint32_t *order;
static int epochs = 10;
static double epoch_seconds[100], epoch_loss[100], epoch_acc[100], test_acc;
static long test_correct[MAX_THREADS];

typedef struct {
  int t;
} Arg;

static int column(int t) { return (INPUTS / 8 * t / nthreads) * 8; }

static void *run(void *arg) {
  const int t = ((Arg *)arg)->t, c0 = column(t), c1 = column(t + 1);
  int sense = 0;
  float *x = aligned_alloc(64, sizeof(float) * BATCH * INPUTS);
  float *ex = aligned_alloc(64, sizeof(float) * EVAL_ROWS * INPUTS);
  float logits[BATCH * CLASSES], g[BATCH * CLASSES], b[CLASSES] = {0}, ev[EVAL_ROWS * CLASSES];
  const int n = train_set.n, xs = c1 - c0;
  long step = 0;
  for (int e = 0; e < epochs; e++) {
    double started = now();
    if (t == 0) shuffle(order, n);
    barrier(&sense);
    double loss = 0;
    long correct = 0;
    for (int first = 0; first < n; first += BATCH, step++) {
      const int count = n - first < BATCH ? n - first : BATCH;
      float(*part)[BATCH * CLASSES] = partial[step & 1];
      gather(x, xs, train_set.images, order, first, count, c0, c1);
      forward(part[t], x, xs, W, count, c0, c1);
      barrier(&sense);
      for (int i = 0; i < count * CLASSES; i++) {
        float s = part[0][i];
        for (int u = 1; u < nthreads; u++) s += part[u][i];
        logits[i] = s + b[i % CLASSES];
      }
      loss += softmax_xent(g, logits, train_set.labels, order, first, count, &correct);
      backward_update(W, g, x, xs, count, c0, c1, LR);
      for (int o = 0; o < CLASSES; o++) {
        float db = 0;
        for (int r = 0; r < count; r++) db += g[r * CLASSES + o];
        b[o] -= LR * db;
      }
    }
    barrier(&sense); // every thread's W update is done before the evaluation reads all of W
    long right = 0;
    for (int first = t * EVAL_ROWS; first < test_set.n; first += nthreads * EVAL_ROWS) {
      const int count = test_set.n - first < EVAL_ROWS ? test_set.n - first : EVAL_ROWS;
      gather(ex, INPUTS, test_set.images, NULL, first, count, 0, INPUTS);
      forward(ev, ex, INPUTS, W, count, 0, INPUTS);
      for (int r = 0; r < count; r++) {
        int best = 0;
        for (int o = 1; o < CLASSES; o++)
          if (ev[r * CLASSES + o] + b[o] > ev[r * CLASSES + best] + b[best]) best = o;
        right += best == test_set.labels[first + r];
      }
    }
    test_correct[t] = right;
    barrier(&sense);
    if (t == 0) {
      long all = 0;
      for (int u = 0; u < nthreads; u++) all += test_correct[u];
      test_acc = (double)all / test_set.n;
      epoch_loss[e] = loss / n;
      epoch_acc[e] = (double)correct / n;
      epoch_seconds[e] = now() - started;
    }
  }
  free(x);
  free(ex);
  return NULL;
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--threads")) nthreads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--epochs")) epochs = atoi(argv[i + 1]);
    else die("unknown argument (use --threads N, --epochs E)", argv[i]);
  }
  if (nthreads < 1 || nthreads > MAX_THREADS || epochs < 1 || epochs > 100) die("out of range", "--threads/--epochs");
  double started = now();
  train_set = load_set("train-images-idx3-ubyte", "train-labels-idx1-ubyte");
  test_set = load_set("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
  double load_seconds = now() - started;

  W = aligned_alloc(64, sizeof(float) * CLASSES * INPUTS);
  for (int j = 0; j < CLASSES * INPUTS; j++) // W ~ Normal(0, 0.01²) (Box–Muller), b = 0
    W[j] = (float)(0.01 * sqrt(-2 * log(rng_uniform())) * cos(2 * M_PI * rng_uniform()));
  order = malloc(sizeof(uint32_t) * train_set.n);

  pthread_t threads[MAX_THREADS];
  Arg args[MAX_THREADS];
  for (int t = 1; t < nthreads; t++) {
    args[t].t = t;
    pthread_create(&threads[t], NULL, run, &args[t]);
  }
  args[0].t = 0;
  run(&args[0]);
  for (int t = 1; t < nthreads; t++) pthread_join(threads[t], NULL);

  printf("{\"peer\":\"native\",\"isa\":\"%s\",\"threads\":%d,\"loadSeconds\":%.6f,\"epochSeconds\":[", ISA, nthreads,
         load_seconds);
  for (int e = 0; e < epochs; e++) printf("%s%.6f", e ? "," : "", epoch_seconds[e]);
  printf("],\"trainLoss\":[");
  for (int e = 0; e < epochs; e++) printf("%s%.6f", e ? "," : "", epoch_loss[e]);
  printf("],\"trainAcc\":[");
  for (int e = 0; e < epochs; e++) printf("%s%.6f", e ? "," : "", epoch_acc[e]);
  printf("],\"testAcc\":%.4f}\n", test_acc);
  return 0;
}
