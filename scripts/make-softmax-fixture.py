#!/usr/bin/env python3
"""Writes test/fixtures/softmax-step.json: one softmax-regression step computed independently in
NumPy (float64), for test/model/fixture.test.ts to compare the TypeScript reference against.

Inputs are made from integer formulas (repeated in the test), so the fixture holds outputs only:
logits, probabilities, both losses with and without label smoothing, their logit gradients,
db, a sample of dW, and the parameters after one SGD step with weight decay.

Run: python3 scripts/make-softmax-fixture.py && npx biome format --write test/fixtures/softmax-step.json
(NumPy only; biome then lays the JSON out the way the linter expects).
"""
import json
import pathlib

import numpy as np

B, D, C = 4, 784, 10
i = np.arange(B)[:, None]
k = np.arange(D)[None, :]
o = np.arange(C)[:, None]
X = ((i * 131 + k * 31) % 256) / 255.0                     # (B, D) pixels in [0, 1]
W = (((o * 7 + k * 13) % 97) - 48) / 4800.0                 # (C, D)
b = (np.arange(C) - 4.5) / 10.0                             # (C,)
labels = np.array([3, 0, 9, 6])
LR, WD = 0.1, 0.01


def targets(eps):
    Y = np.full((B, C), eps / C)
    Y[np.arange(B), labels] += 1.0 - eps
    return Y


logits = X @ W.T + b                                        # (B, C)
z = logits - logits.max(axis=1, keepdims=True)
P = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)        # (B, C)
log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))

out = {"B": B, "labels": labels.tolist(), "lr": LR, "weight_decay": WD,
       "logits": logits.ravel().tolist(), "P": P.ravel().tolist(), "cases": []}
sample = [(0, 0), (3, 100), (6, 401), (9, 783), (5, 392)]
for loss in ("cross-entropy", "mse"):
    for eps in (0.0, 0.1):
        Y = targets(eps)
        if loss == "cross-entropy":
            loss_sum = float(-(Y * log_p).sum())
            dlogits = (P - Y) / B
        else:
            loss_sum = float(0.5 * ((P - Y) ** 2).sum())
            g = (P - Y) / B
            dlogits = P * (g - (g * P).sum(axis=1, keepdims=True))
        dW = dlogits.T @ X                                  # (C, D)
        db = dlogits.sum(axis=0)
        W1 = W - LR * (dW + WD * W)
        b1 = b - LR * db
        out["cases"].append({
            "loss": loss, "label_smoothing": eps, "loss_sum": loss_sum,
            "dlogits": dlogits.ravel().tolist(), "db": db.tolist(),
            "dW_row_sums": dW.sum(axis=1).tolist(),
            "dW_sample": [[r, c, float(dW[r, c])] for r, c in sample],
            "bias_after_step": b1.tolist(),
            "weight_after_step_sample": [[r, c, float(W1[r, c])] for r, c in sample],
        })

path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "softmax-step.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
