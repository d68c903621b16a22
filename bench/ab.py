"""A/B any benchmark: an earlier commit against the working tree, on the same data, runs interleaved.

    DATABASE_URL=postgresql://... python bench/ab.py BASE_REF api [--runs 3] [-- ARGS FOR THE BENCHMARK]
    make bench-ab BASE=d8252fc BENCH=api ARGS="--reuse postgresql://.../bench_api_xxx"

BENCH is one or more of: api, search, import, geo, ledger, referrals (``bench/<name>.py``). BASE_REF is checked out
in a temporary git worktree (removed at the end); each round runs the benchmark once from the base
tree and once from this tree, alternating which goes first (A B, B A, ...) so a machine that
speeds up or slows down during the rounds weighs on both alike. Give the benchmark the same data
on both sides: a database kept by an earlier run (``--reuse URL``, ``BENCH_KEEP_DB=1``) or a
generator with a fixed seed (every benchmark here has one).

Every line a benchmark prints that holds numbers is a figure line; a line is matched between the
two sides by its text with the numbers taken out. For each figure this prints the base's and this
tree's median over the rounds and their ratio (this / base: above 1 is slower for a time).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
BENCHES = ("api", "search", "import", "geo", "ledger", "referrals")


def figures(output: str) -> dict[str, list[float]]:
    """{line's text without its numbers: its numbers}, for the lines that have numbers."""
    out: dict[str, list[float]] = {}
    for line in output.splitlines():
        numbers = NUMBER.findall(line)
        if not numbers:
            continue
        # (a bracketed list varies in length: not the label; padding varies with the numbers' widths)
        key = " ".join(NUMBER.sub("#", line.split("[")[0]).split())
        while key in out:  # the same shape twice (e.g. two runs of one size): keep both
            key += " "
        out[key] = [float(n.replace(",", "")) for n in numbers]
    return out


def run_once(tree: Path, bench: str, args: list[str]) -> str:
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(tree / "bench" / f"{bench}.py"), *args], cwd=tree,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    if result.returncode != 0:
        sys.exit(f"{bench} failed in {tree}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    print(f"  {tree.name:<12} {bench}: {time.monotonic() - started:.0f} s", flush=True)
    return result.stdout


def compare(base_runs: list[dict], head_runs: list[dict]) -> None:
    keys = [k for k in head_runs[0] if all(k in r for r in base_runs + head_runs)]
    width = min(90, max((len(k) for k in keys), default=10))
    print(f"{'figure (numbers as #)':<{width}}  {'base':>10} {'this':>10} {'this/base':>9}")
    for key in keys:
        shown = []  # [(base, head, first figure, last figure)]: a run of equal figures (memory samples) once
        for i in range(len(head_runs[0][key])):
            try:
                base = statistics.median(r[key][i] for r in base_runs)
                head = statistics.median(r[key][i] for r in head_runs)
            except IndexError:
                continue
            if abs(head - base) <= 0.01 * abs(base):  # counts, sizes, settings: the same on both sides
                continue
            if shown and shown[-1][:2] == (base, head):
                shown[-1] = (base, head, shown[-1][2], i + 1)
            else:
                shown.append((base, head, i + 1, i + 1))
        for base, head, first, last in shown:
            ratio = f"{head / base:9.2f}" if base else "        -"
            which = f"figure {first}" if first == last else f"figures {first}-{last}"
            print(f"{key[:width]:<{width}}  {base:10.2f} {head:10.2f} {ratio}   ({which})")
    for side, runs in (("base", base_runs), ("this tree", head_runs)):
        for key in sorted(set().union(*runs) - set(keys)):
            print(f"  not compared (not in every run, or only in the {side}'s output): {key[:100]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the commit to compare against (any git ref)")
    parser.add_argument("benches", nargs="+", choices=BENCHES)
    parser.add_argument("--runs", type=int, default=3, help="rounds (each runs base and this tree once)")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    opts, args = parser.parse_args(argv[:split]), argv[split + 1:]  # after --: the benchmark's own
    with tempfile.TemporaryDirectory(prefix="assets-hub-ab-") as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base_tree), opts.base],
                       check=True)
        try:
            for bench in opts.benches:
                print(f"{bench}: {opts.base} (base) against this tree, {opts.runs} rounds", flush=True)
                base_runs, head_runs = [], []
                for round_ in range(opts.runs):
                    order = [(base_tree, base_runs), (ROOT, head_runs)]
                    for tree, runs in (order if round_ % 2 == 0 else order[::-1]):
                        runs.append(figures(run_once(tree, bench, args)))
                compare(base_runs, head_runs)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)], check=False)


if __name__ == "__main__":
    main()
