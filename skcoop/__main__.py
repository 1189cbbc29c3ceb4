"""Command line: ``python -m skcoop demo``, ``silo ...`` and ``flower ...``."""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys


def main(argv=None):
    """Entry point of ``python -m skcoop``."""
    parser = argparse.ArgumentParser(
        prog="python -m skcoop",
        description="Cooperative knowledge distillation between heterogeneous "
        "learners.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="distil four different learners on label-skewed sites of a bundled "
        "dataset",
    )
    demo.add_argument(
        "--dataset",
        default="digits",
        choices=["digits", "breast_cancer", "wine", "iris"],
    )
    demo.add_argument(
        "--dirichlet-alpha",
        type=float,
        default=0.3,
        help="label skew of the sites (smaller: more skewed), default 0.3",
    )
    demo.add_argument("--rounds", type=int, default=1, help="distillation rounds")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("-v", "--verbose", action="count", default=0)

    from .flower import cli as flower_cli
    from .silo.cli import add_parser, run

    add_parser(sub)
    flower_cli.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "silo":
        return run(args)
    if args.command == "flower":
        return flower_cli.run(args)

    from ._demo import run_demo

    run_demo(
        args.dataset,
        dirichlet_alpha=args.dirichlet_alpha,
        n_rounds=args.rounds,
        random_state=args.seed,
        verbose=args.verbose,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
