"""`python -m bench`: measure every backend and write one run file (`nox -s bench`)."""

import argparse
import sys
from pathlib import Path

from bench import run

DATA_DIR = Path(__file__).resolve().parents[2] / "docs/data/bench"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="nox -s bench --", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 s warm-up, 3 s runs, one repetition: tries the harness out",
    )
    parser.add_argument(
        "--out", type=Path, default=DATA_DIR, help="the run file's folder"
    )
    parser.add_argument(
        "--charts-only",
        action="store_true",
        help="measure nothing: redraw the charts from the newest committed run",
    )
    args = parser.parse_args(argv)
    if args.charts_only:
        from bench import charts

        charts.draw_all()
        return
    path = run.measure(argv, out=args.out, quick=args.quick)
    print(f"wrote {path}")
    if args.out.resolve() == DATA_DIR:
        from bench import charts

        # The site links the charts: draw them before timing its build, and again
        # after, from the file that now holds the build time too.
        charts.draw_all()
        run.time_site_build(path, builds=1 if args.quick else run.FULL.repetitions)
        charts.draw_all()


if __name__ == "__main__":
    main(sys.argv[1:])
