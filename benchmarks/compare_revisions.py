"""Training throughput of two revisions of skae, side by side in one run.

``bench_training.py``'s skae contender (the tied 784-300-150-300-784 ELU
autoencoder, Adam, batch 256, on synthetic 60000 x 784 data) timed in the
working tree and in a git revision checked out in a temporary worktree.
Each timing is a fresh process (its own TensorFlow import and trace, which
are not timed: a one-epoch fit comes first); the two trees alternate,
``--repeats`` rounds, each round in the other order than the last (ABBA),
so a change in the machine's load hits both alike.

    python benchmarks/compare_revisions.py --base c148208
    python benchmarks/compare_revisions.py --base c148208 --rows 20000 --epochs 3 --repeats 3

Prints a table and writes it to ``--output`` if given.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = """
import json, sys
sys.path.insert(0, {tree!r})
sys.path.insert(1, {bench!r})
import skae
assert skae.__file__.startswith({tree!r}), skae.__file__
from bench_training import synthetic, time_skae
X = synthetic({rows})
fit = time_skae(X, 256)
seconds, loss = fit({epochs})
print(json.dumps({{"seconds": seconds, "loss": loss, "file": skae.__file__}}))
"""


def measure(tree, rows, epochs):
    code = CHILD.format(tree=str(tree), bench=str(HERE), rows=rows, epochs=epochs)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare the working tree with")
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_tree), args.base],
                       check=True, capture_output=True)
        try:
            times = {"base": [], "working tree": []}
            losses = {}
            for rep in range(args.repeats):
                order = [("base", base_tree), ("working tree", ROOT)]
                for name, tree in order if rep % 2 == 0 else order[::-1]:  # ABBA: neither always first
                    result = measure(tree, args.rows, args.epochs)
                    times[name].append(result["seconds"])
                    losses[name] = result["loss"]
                    print(f"[{rep + 1}/{args.repeats}] {name}: {result['seconds']:.2f} s, final loss"
                          f" {result['loss']:.6f}", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)],
                           check=True, capture_output=True)
    samples = args.rows * args.epochs
    base, new = np.median(times["base"]), np.median(times["working tree"])
    lines = [
        f"`python benchmarks/compare_revisions.py --base {args.base} --rows {args.rows} --epochs {args.epochs}"
        f" --repeats {args.repeats}`",
        "",
        "| tree | median fit time (s) | range (s) | samples/s | final loss |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, median in (("base " + args.base, base), ("working tree", new)):
        key = "base" if name.startswith("base") else name
        lo, hi = min(times[key]), max(times[key])
        lines.append(f"| {name} | {median:.2f} | {lo:.2f}–{hi:.2f} | {samples / median:,.0f} | {losses[key]:.6f} |")
    lines += ["", f"Working tree throughput / base: **{base / new:.3f}**"]
    text = "\n".join(lines)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
