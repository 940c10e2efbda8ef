"""Fashion-MNIST for the Python peers of `npm run bench:peers`, from the directories named in
$PEER_DATA_DIRS (colon-separated; bench-peers.js sets it to where `softmax` finds the data: its data
directory, then the system directory), else Debian's /usr/share/datasets/fashion-mnist; each
file raw or .gz. Returns uint8 arrays. Only a benchmark helper."""
import gzip
import os

import numpy as np

SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"


def _read(name):
    directories = [d for d in os.environ.get("PEER_DATA_DIRS", "").split(":") if d] or [SYSTEM_DIR]
    for directory in directories:
        raw = os.path.join(directory, name)
        if os.path.exists(raw):
            with open(raw, "rb") as f:
                return f.read()
        if os.path.exists(raw + ".gz"):
            with gzip.open(raw + ".gz", "rb") as f:
                return f.read()
    raise SystemExit(f"peer: {name} not found in {', '.join(directories)}")


def load_fashion_mnist():
    def images(name):
        return np.frombuffer(_read(name), dtype=np.uint8, offset=16).reshape(-1, 784)

    def labels(name):
        return np.frombuffer(_read(name), dtype=np.uint8, offset=8).astype(np.int64)

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))
