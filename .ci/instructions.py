#!/usr/bin/env python3
"""Instruction counts of the hot paths, checked against a committed baseline.

Runs the callgrind benches (tests/benches/instructions.rs, through gungraun)
and compares each bench's instruction count with
.ci/instructions-baseline.txt. Fails when a count rises more than TOLERANCE
above its baseline, when a bench is missing from the baseline, or when the
baseline names a bench that no longer exists; prints the table either way.

    python3 .ci/instructions.py             # check (what CI runs)
    python3 .ci/instructions.py --update    # rewrite the baseline (median of 5 runs)
    python3 .ci/instructions.py --runner-version

Instruction counts, unlike times, do not depend on the machine's load; they
do depend on the compiler and the valgrind version, so the baseline is
rewritten (and the reason recorded in CHANGELOG.md) when either changes.
"""

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "instructions-baseline.txt"
# A rise above this fraction of the baseline fails. Run to run, a count
# moves by up to about 2.5% (each process has its own hash seeds, so the
# flush sorts its series from another order); a lost trick costs more.
TOLERANCE = 0.05
# The baseline is the median of this many runs: the middle of that spread.
UPDATE_RUNS = 5
BENCH = ["cargo", "bench", "-p", "collector-tests", "--bench", "instructions"]
BASELINE_HEADER = """\
# Instructions per bench (callgrind, tests/benches/instructions.rs), checked
# by .ci/instructions.py with a tolerance of {tolerance:.0%}. Written by
# `python3 .ci/instructions.py --update`; record why in CHANGELOG.md.
"""


def runner_version():
    """The gungraun version in Cargo.lock: its runner must be the same."""
    lock = (ROOT / "Cargo.lock").read_text()
    found = re.search(r'name = "gungraun"\nversion = "([^"]+)"', lock)
    if not found:
        sys.exit("gungraun is not in Cargo.lock")
    return found.group(1)


def measure():
    """Runs the benches; returns {bench: instructions} in the benches' order."""
    run = subprocess.run(
        BENCH + ["--", "--output-format=json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        sys.exit(f"the instruction benches failed (exit {run.returncode})")
    counts = {}
    for line in run.stdout.splitlines():
        if not line.startswith("{"):
            continue
        bench = json.loads(line)
        name = f"{bench['function_name']}.{bench['id']}"
        (profile,) = [p for p in bench["profiles"] if p["tool"] == "Callgrind"]
        counts[name] = profile["data"]["total"]["metrics"]["Ir"]["values"]["new"]
    if not counts:
        sys.exit("the instruction benches reported nothing")
    return counts


def median_of_runs(runs):
    """{bench: median instructions} over `runs` runs of the benches."""
    results = [measure() for _ in range(runs)]
    return {
        name: sorted(result[name] for result in results)[runs // 2]
        for name in results[0]
    }


def read_baseline():
    """{bench: instructions} from the baseline file."""
    if not BASELINE.exists():
        return {}
    baseline = {}
    for line in BASELINE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, count = line.split()
            baseline[name] = int(count)
    return baseline


def write_baseline(counts):
    width = max(map(len, counts))
    rows = "".join(f"{name:<{width}}  {count}\n" for name, count in counts.items())
    BASELINE.write_text(BASELINE_HEADER.format(tolerance=TOLERANCE) + rows)


def table(counts, baseline):
    """The comparison, one row per bench of either side; returns the failures."""
    failures = []
    names = list(counts) + [name for name in baseline if name not in counts]
    width = max(map(len, names))
    print(f"{'bench':<{width}}  {'baseline':>12}  {'now':>12}  change")
    for name in names:
        new, old = counts.get(name), baseline.get(name)
        if old is None:
            verdict = "NOT IN BASELINE"
            failures.append(f"{name}: {new} instructions, not in the baseline")
        elif new is None:
            verdict = "NO SUCH BENCH"
            failures.append(f"{name}: in the baseline ({old}), no longer a bench")
        else:
            change = (new - old) / old
            verdict = f"{change:+.2%}"
            if change > TOLERANCE:
                verdict += f"  REGRESSION (over {TOLERANCE:.0%})"
                failures.append(
                    f"{name}: baseline {old}, now {new} instructions "
                    f"({change:+.2%}, over the {TOLERANCE:.0%} tolerance)"
                )
            elif change < -TOLERANCE:
                verdict += "  (faster: update the baseline to keep the gain)"
        shown_old = "-" if old is None else str(old)
        shown_new = "-" if new is None else str(new)
        print(f"{name:<{width}}  {shown_old:>12}  {shown_new:>12}  {verdict}")
    return failures


def main(args):
    if args == ["--runner-version"]:
        print(runner_version())
        return 0
    if args not in ([], ["--update"]):
        sys.exit(__doc__)
    if args == ["--update"]:
        counts = median_of_runs(UPDATE_RUNS)
        write_baseline(counts)
        table(counts, counts)
        print(f"\nwrote {BASELINE.relative_to(ROOT)}: say why in CHANGELOG.md")
        return 0
    counts = measure()
    failures = table(counts, read_baseline())
    if failures:
        print("\ninstruction counts: FAILED")
        for failure in failures:
            print(f"  {failure}")
        print("a deliberate change: python3 .ci/instructions.py --update, and a CHANGELOG.md line")
        return 1
    print(f"\ninstruction counts: every bench within {TOLERANCE:.0%} of the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
