#!/usr/bin/python3
"""Peer for `npm run bench:peers`: the same job as `softmax train --epochs 10 --lr 0.1
--batch-size 256` in PyTorch, as d2l writes it: nn.Linear(784, 10), nn.CrossEntropyLoss, SGD,
with the tensors preloaded (the training images converted to float32 once, batches taken by
index), `--threads N` intra-op threads, and denormals flushed to zero (without it, tiny
probabilities late in training make PyTorch's epochs several times slower on this CPU, which
would flatter us). Prints one JSON object with the seconds of each epoch
(training pass + evaluation) and the data-load time. Only a benchmark: not part of the program."""
import argparse
import json
import sys
import time

import torch
from torch import nn

from peer_data import load_fashion_mnist


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    epochs, lr, batch = 10, 0.1, 256

    started = time.perf_counter()
    train_x, train_y, test_x, test_y = load_fashion_mnist()
    X = torch.from_numpy(train_x.copy()).float().div_(255)
    y = torch.from_numpy(train_y)
    Xt = torch.from_numpy(test_x.copy()).float().div_(255)
    yt = torch.from_numpy(test_y)
    load_seconds = time.perf_counter() - started

    net = nn.Linear(784, 10)
    nn.init.normal_(net.weight, std=0.01)
    nn.init.zeros_(net.bias)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    n = X.shape[0]
    epoch_seconds = []
    test_acc = 0.0
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(n)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            xb, yb = X[idx], y[idx]
            logits = net(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(yb)
            correct += int((logits.argmax(dim=1) == yb).sum())
        with torch.no_grad():
            test_acc = float((net(Xt).argmax(dim=1) == yt).float().mean())
        epoch_seconds.append(time.perf_counter() - t0)
    json.dump({"peer": "torch", "threads": args.threads, "torch": torch.__version__, "loadSeconds": load_seconds,
               "epochSeconds": epoch_seconds, "testAcc": test_acc}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
