"""``python -m skcoop silo audit`` and the release limits of ``silo teach``.

A site reads the virtual rows it is about to send (what ``teach`` wrote)
with its own rows and rows it never used (``--holdout``), and sees, per
peer, what the rows reveal about its records
(:func:`skcoop.privacy.audit_release`): distance to closest record,
membership-inference AUC and TPR at 1% FPR, reconstruction risk. ``teach
--max-auc 0.6 --max-tpr 0.05`` runs the same audit before it writes and
writes nothing when a peer's rows go above a limit.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time
from pathlib import Path

import numpy as np

__all__ = ["add_audit_parser", "add_release_limits", "audit_rows", "over_limits"]

_LIMITS = {"max_auc": "mia_auc", "max_tpr": "mia_tpr_at_1pct_fpr"}


def add_release_limits(parser):
    """``--holdout``, ``--max-auc`` and ``--max-tpr`` of ``silo teach``."""
    group = parser.add_argument_group(
        "release limits",
        "audit the rows before writing them; write nothing above a limit",
    )
    group.add_argument(
        "--max-auc",
        type=float,
        default=None,
        help="largest membership-inference AUC a peer's rows may give (0.5: "
        "no better than a coin)",
    )
    group.add_argument(
        "--max-tpr",
        type=float,
        default=None,
        help="largest true-positive rate at 1%% false positives a peer's rows may give",
    )
    group.add_argument(
        "--holdout",
        metavar="FILE",
        help="records of the site's kind it never used (CSV/parquet): the "
        "attacks' non-members; needed with --max-auc or --max-tpr",
    )


def add_audit_parser(steps, data_args):
    """Add ``silo audit`` to the ``silo`` subcommands."""
    audit = steps.add_parser(
        "audit",
        help="what the virtual rows this site would send reveal about its rows",
        description="Audit the virtual rows a site wrote with 'teach' against its "
        "own rows: per peer, distance to closest record, membership-inference "
        "AUC and TPR at 1%% FPR, reconstruction risk (skcoop.privacy).",
    )
    data_args(audit)
    audit.add_argument(
        "--rows",
        nargs="+",
        required=True,
        help="virtual-rows files (or folders) this site wrote with 'teach'",
    )
    audit.add_argument(
        "--holdout",
        required=True,
        help="records of the site's kind it never used (CSV/parquet)",
    )
    audit.add_argument("--max-auc", type=float, default=None)
    audit.add_argument("--max-tpr", type=float, default=None)
    return audit


def _check_limits(args):
    for key in _LIMITS:
        value = getattr(args, key, None)
        if value is not None and not 0 <= value <= 1:
            raise ValueError(
                f"--{key.replace('_', '-')} must be in [0, 1]. Got {value} instead."
            )


def _own_columns(X, rows):
    if hasattr(rows.X, "columns") and hasattr(X, "columns"):
        return X[list(rows.X.columns)]
    return X


def audit_rows(sent, X, y, X_holdout, y_holdout, random_state=0):
    """Per peer, :func:`~skcoop.privacy.audit_summary` of the rows it is sent."""
    from ..privacy import audit_release, audit_summary

    table = {}
    for student, rows in sent.items():
        if len(rows) == 0:
            continue
        report = audit_release(
            rows.X,
            _own_columns(X, rows),
            _own_columns(X_holdout, rows),
            y_members=np.asarray(y),
            y_holdout=np.asarray(y_holdout),
            random_state=random_state,
        )
        table[student] = {"rows": len(rows), **audit_summary(report)}
    return table


def over_limits(table, max_auc=None, max_tpr=None):
    """The lines naming each peer whose rows go above a limit."""
    limits = {"max_auc": max_auc, "max_tpr": max_tpr}
    lines = []
    for student, entry in table.items():
        for key, column in _LIMITS.items():
            if limits[key] is not None and entry[column] > limits[key]:
                lines.append(
                    f"rows for {student!r}: {column} {entry[column]:.3f} > "
                    f"--{key.replace('_', '-')} {limits[key]}"
                )
    return lines


def print_table(name, table, out):
    print(
        f"site {name}: audit of the rows for {len(table)} peer(s) "
        "(membership attack: the strongest of those run)",
        file=out,
    )
    for student, e in table.items():
        print(
            f"  -> {student}: {e['rows']} rows; DCR ratio {e['dcr_ratio']:.2f}, "
            f"{e['share_below_holdout_5pct']:.0%} closer than 5% of fresh records; "
            f"membership AUC {e['mia_auc']:.2f}, TPR at 1% FPR "
            f"{e['mia_tpr_at_1pct_fpr']:.2f}; records reconstructed "
            f"{e['reconstruction_share']:.0%}",
            file=out,
        )


def run_audit(args, out, site_rows, read_holdout, received_files, error):
    """``silo audit``: load what teach wrote, audit it, print it, check limits."""
    from . import VirtualRows

    _check_limits(args)
    X, y = site_rows(args)
    X_holdout, y_holdout = read_holdout(args.holdout)
    start = time.perf_counter()
    sent, teachers = {}, set()
    for path in received_files(args.rows):
        rows = VirtualRows.load(path)
        teachers.add(rows.teacher)
        if rows.student in sent:
            raise error(
                f"Two files hold rows for {rows.student!r} ({str(Path(path))!r} is "
                "the second); audit one round's files at a time."
            )
        sent[rows.student] = rows
    if len(teachers) > 1:
        raise error(
            f"The files come from several teachers ({sorted(teachers)}); a site "
            "audits only the rows it wrote itself."
        )
    table = audit_rows(sent, X, y, X_holdout, y_holdout)
    name = teachers.pop() if teachers else "?"
    print_table(name, table, out)
    print(f"  ({time.perf_counter() - start:.1f}s)", file=out)
    over = over_limits(table, args.max_auc, args.max_tpr)
    if over:
        raise error("above the site's limits: " + "; ".join(over))
