#!/usr/bin/python3
"""Peer for `npm run bench:peers`: the same job as `softmax train --epochs 10 --lr 0.1
--batch-size 256` in vectorised NumPy (float32, one BLAS thread): per minibatch, gather the
shuffled uint8 rows and scale by 1/255, logits = X Wᵀ + b, stable softmax, cross-entropy,
G = (P − Y)/B, dW = Gᵀ X, db = Σ G, SGD; after each epoch the test accuracy. Prints one JSON
object with the seconds of each epoch (training pass + evaluation) and the data-load time.
Only a benchmark: it is not part of the program."""
import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[var] = "1"  # before numpy loads its BLAS

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from peer_data import load_fashion_mnist  # noqa: E402


def main():
    epochs, lr, batch = 10, np.float32(0.1), 256
    started = time.perf_counter()
    train_x, train_y, test_x, test_y = load_fashion_mnist()
    test_xf = test_x.astype(np.float32) * np.float32(1 / 255)  # evaluation set converted once
    load_seconds = time.perf_counter() - started

    rng = np.random.default_rng(0)
    W = (rng.standard_normal((10, 784)) * 0.01).astype(np.float32)
    b = np.zeros(10, dtype=np.float32)
    n = train_x.shape[0]
    eye = np.eye(10, dtype=np.float32)
    epoch_seconds = []
    test_acc = 0.0
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            X = train_x[idx].astype(np.float32) * np.float32(1 / 255)
            y = train_y[idx]
            logits = X @ W.T + b
            m = logits.max(axis=1, keepdims=True)
            e = np.exp(logits - m)
            s = e.sum(axis=1, keepdims=True)
            P = e / s
            loss_sum += float(np.sum(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(len(y)), y]))
            correct += int(np.sum(logits.argmax(axis=1) == y))
            G = (P - eye[y]) / np.float32(len(y))
            W -= lr * (G.T @ X)
            b -= lr * G.sum(axis=0)
        test_acc = float(np.mean((test_xf @ W.T + b).argmax(axis=1) == test_y))
        epoch_seconds.append(time.perf_counter() - t0)
    json.dump({"peer": "numpy", "threads": 1, "numpy": np.__version__, "loadSeconds": load_seconds,
               "epochSeconds": epoch_seconds, "testAcc": test_acc}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
