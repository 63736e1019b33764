"""Wall time of the reference im2col convolution (solutions/conv/im2col_conv.py) against
torch.nn.functional.conv2d on a mid-size layer: N=8, C=32, 32x32, 64 filters of 3x3, padding 1.

    python benchmarks/im2col_vs_torch.py [--repeat N] [--threads T]

Prints the median of N runs of each and their ratio. Both run in float32 on the CPU; the two
outputs are compared first, so the timing is of a correct convolution.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent


def load_reference():
    path = ROOT / "solutions" / "conv" / "im2col_conv.py"
    spec = importlib.util.spec_from_file_location("reference_im2col_conv", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_seconds(run, repeat: int) -> float:
    run()  # warm-up: allocations, thread pools
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    reference = load_reference()
    gen = np.random.default_rng(0)
    x = gen.normal(0, 1, (8, 32, 32, 32)).astype(np.float32)
    w = gen.normal(0, 0.1, (64, 32, 3, 3)).astype(np.float32)
    b = gen.normal(0, 1, 64).astype(np.float32)
    xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)

    ours = reference.conv2d_forward(x, w, b, 1, 1, 1, 1)
    theirs = F.conv2d(xt, wt, bt, padding=1).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-3)

    im2col = median_seconds(lambda: reference.conv2d_forward(x, w, b, 1, 1, 1, 1), args.repeat)
    with torch.no_grad():
        native = median_seconds(lambda: F.conv2d(xt, wt, bt, padding=1), args.repeat)
    print(f"median of {args.repeat} runs, x {x.shape} float32, w {w.shape}, padding 1")
    print(f"{'im2col + matmul (numpy reference)':<36} {im2col * 1e3:8.2f} ms")
    print(f"{'torch.nn.functional.conv2d':<36} {native * 1e3:8.2f} ms")
    print(f"ratio: {im2col / native:.2f}x torch's time")


if __name__ == "__main__":
    main()
