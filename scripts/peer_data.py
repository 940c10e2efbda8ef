"""Fashion-MNIST for the Python peers of `npm run bench:peers`, from where `softmax` finds it:
the data directory ($SOFTMAX_DATA_DIR, else ./data; raw IDX or .gz), else Debian's
/usr/share/datasets/fashion-mnist. Returns uint8 arrays. Only a benchmark helper."""
import gzip
import os

import numpy as np

SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"


def _read(name):
    for directory in (os.environ.get("SOFTMAX_DATA_DIR") or "data", SYSTEM_DIR):
        raw = os.path.join(directory, name)
        if os.path.exists(raw):
            with open(raw, "rb") as f:
                return f.read()
        if os.path.exists(raw + ".gz"):
            with gzip.open(raw + ".gz", "rb") as f:
                return f.read()
    raise SystemExit(f"peer: {name} not found in the data directory or {SYSTEM_DIR}")


def load_fashion_mnist():
    def images(name):
        return np.frombuffer(_read(name), dtype=np.uint8, offset=16).reshape(-1, 784)

    def labels(name):
        return np.frombuffer(_read(name), dtype=np.uint8, offset=8).astype(np.int64)

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))
