"""Bytes and wall time of cross-silo rounds: what each site sends and receives.

Runs cooperative distillation through skcoop.silo's files, one site after the
other in this process, exactly as sites would on their own machines: each
site exports its model file (skops + JSON metadata) and sends it to every
peer; each site teaches every peer from its own rows and sends one
virtual-rows file (parquet) per peer; each site learns from the files it
received. Every file is written to disk and its size counted on the link it
crosses (site to site: a model file sent to three peers counts three times).

Settings:

- ``digits``: the demo's (``python -m skcoop demo``): digits, 70/30 split,
  the four demo learners on Dirichlet(0.3) label-skewed sites, seed 0.
- ``classification_50k``: ``make_classification`` with 50,000 rows (20
  features, 10 informative, 4 classes), the same learners and split.

Usage (from the repository root)::

    python benchmarks/silo/bytes.py                 # both settings, 2 rounds
    python benchmarks/silo/bytes.py --settings digits --rounds 1

Writes ``benchmarks/silo/results/bytes.csv`` (one row per setting, round and
site) and prints the per-round table.
"""

import argparse
import csv
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
from sklearn import datasets
from sklearn.model_selection import train_test_split

from skcoop._demo import _skewed_sites, demo_members
from skcoop.silo import (
    VirtualRows,
    export_model,
    import_model,
    learn,
    read_metadata,
    site_seeds,
    teach,
)

HERE = Path(__file__).resolve().parent
FIELDS = [
    "setting",
    "n_train",
    "round",
    "site",
    "learner",
    "rows",
    "model_file_bytes",
    "stored_rows",
    "sent_model_bytes",
    "sent_rows_bytes",
    "sent_bytes",
    "received_model_bytes",
    "received_rows_bytes",
    "received_bytes",
    "virtual_rows_sent",
    "virtual_rows_received",
    "export_s",
    "teach_s",
    "learn_s",
    "export_cpu_s",
    "teach_cpu_s",
    "learn_cpu_s",
    "score_before",
    "score_after",
]


def load_setting(name, seed=0):
    if name == "digits":
        X, y = datasets.load_digits(return_X_y=True)
    elif name == "classification_50k":
        X, y = datasets.make_classification(
            n_samples=50_000,
            n_features=20,
            n_informative=10,
            n_classes=4,
            random_state=seed,
        )
    else:
        raise ValueError(f"Unknown setting {name!r}.")
    columns = [f"x{i}" for i in range(X.shape[1])]
    X = pd.DataFrame(X, columns=columns)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)


class _Clock:
    """Wall and CPU seconds of one step (CPU: this process, all its threads)."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self, rec, step):
        rec[f"{step}_s"] = time.perf_counter() - self.wall
        rec[f"{step}_cpu_s"] = time.process_time() - self.cpu


def _size(paths):
    return sum(Path(p).stat().st_size for p in paths)


def run_setting(name, n_rounds, folder, seed=0, log=print):
    X, X_test, y, y_test = load_setting(name, seed)
    members = demo_members(seed)
    names = [n for n, _ in members]
    site = _skewed_sites(y, len(members), 0.3, seed)
    rows = {
        n: (X[site == i].reset_index(drop=True), y[site == i])
        for i, n in enumerate(names)
    }
    seeds = site_seeds(seed, names, n_rounds=n_rounds)
    # round 0's models: each site fits its own learner on its rows
    models = {}
    for n, est in members:
        models[n] = est.fit(*rows[n])
    received = {n: [] for n in names}
    records = []
    for r in range(n_rounds):
        out = folder / f"{name}_round{r}"
        out.mkdir(parents=True)
        rec = {n: dict.fromkeys(FIELDS, 0) for n in names}
        for n in names:
            rec[n].update(
                setting=name,
                n_train=len(y),
                round=r,
                site=n,
                learner=type(dict(members)[n]).__name__,
                rows=len(rows[n][1]),
                score_before=models[n].score(X_test, y_test),
            )
        # 1. export, and send the model file to every peer
        files = {}
        for n in names:
            clock = _Clock()
            with warnings.catch_warnings():
                # the kNN keeps its training rows: reported in the summary
                warnings.simplefilter("ignore", UserWarning)
                files[n] = export_model(
                    models[n], out / f"{n}.skops", name=n, X=rows[n][0]
                )
            clock.stop(rec[n], "export")
            rec[n]["stored_rows"] = read_metadata(files[n][0])["stored_rows"]
            size = _size(files[n])
            rec[n]["model_file_bytes"] = size
            rec[n]["sent_model_bytes"] = size * (len(names) - 1)
            for p in names:
                if p != n:
                    rec[p]["received_model_bytes"] += size
        # 2. teach from own rows, with the peers' files; send a file per peer
        sent_files = {n: [] for n in names}
        for n in names:
            peers = {p: files[p][0] for p in names if p != n}
            clock = _Clock()
            model = import_model(files[n][0])
            sent = teach(
                model,
                *rows[n],
                peers,
                name=n,
                round=r,
                random_state=seeds[r][n],
                received=list(received[n]),  # earlier rounds' (out-of-fold judge)
            )
            paths = {p: v.save(out / f"{n}-to-{p}.parquet") for p, v in sent.items()}
            clock.stop(rec[n], "teach")
            for p, path in paths.items():
                size = path.stat().st_size
                rec[n]["sent_rows_bytes"] += size
                rec[p]["received_rows_bytes"] += size
                rec[n]["virtual_rows_sent"] += len(sent[p])
                rec[p]["virtual_rows_received"] += len(sent[p])
                sent_files[p].append(path)
        # 3. learn from every file received so far
        for n in names:
            clock = _Clock()
            received[n].extend(VirtualRows.load(p) for p in sent_files[n])
            received[n].sort(key=lambda v: (v.round, names.index(v.teacher)))
            models[n] = learn(dict(members)[n], *rows[n], received[n])
            clock.stop(rec[n], "learn")
            rec[n]["score_after"] = models[n].score(X_test, y_test)
        for n in names:
            rec[n]["sent_bytes"] = (
                rec[n]["sent_model_bytes"] + rec[n]["sent_rows_bytes"]
            )
            rec[n]["received_bytes"] = (
                rec[n]["received_model_bytes"] + rec[n]["received_rows_bytes"]
            )
            records.append(rec[n])
        log(_round_table([rec[n] for n in names]))
    return records


def _round_table(recs):
    r = recs[0]
    lines = [
        f"{r['setting']} ({r['n_train']} training rows), round {r['round']}:",
        f"{'site':<12}{'rows':>7}{'model file':>12}{'sent':>12}{'received':>12}"
        f"{'vrows out':>10}{'vrows in':>10}{'export s':>9}{'teach s':>9}"
        f"{'learn s':>9}{'acc before':>11}{'after':>7}",
    ]
    for r in recs:
        lines.append(
            f"{r['site']:<12}{r['rows']:>7}{_mb(r['model_file_bytes']):>12}"
            f"{_mb(r['sent_bytes']):>12}{_mb(r['received_bytes']):>12}"
            f"{r['virtual_rows_sent']:>10}{r['virtual_rows_received']:>10}"
            f"{r['export_s']:>9.2f}{r['teach_s']:>9.2f}{r['learn_s']:>9.2f}"
            f"{r['score_before']:>11.3f}{r['score_after']:>7.3f}"
        )
    seq = sum(r["export_s"] + r["teach_s"] + r["learn_s"] for r in recs)
    cpu = sum(r["export_cpu_s"] + r["teach_cpu_s"] + r["learn_cpu_s"] for r in recs)
    par = sum(max(r[k] for r in recs) for k in ("export_s", "teach_s", "learn_s"))
    total = sum(r["sent_bytes"] for r in recs)
    lines.append(
        f"round wall time: {seq:.1f}s one site after another, {par:.1f}s with "
        f"sites in parallel (slowest site per step), {cpu:.1f} CPU s; "
        f"{_mb(total)} on the wire"
    )
    return "\n".join(lines) + "\n"


def _mb(n_bytes):
    return f"{n_bytes / 1e6:.3f} MB"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["digits", "classification_50k"],
        choices=["digits", "classification_50k"],
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", default=str(HERE / "results" / "bytes.csv"), help="CSV to write"
    )
    args = parser.parse_args(argv)
    import pyarrow.parquet  # noqa: F401  (imported before any step is timed)
    import skops.io  # noqa: F401

    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.settings:
            records += run_setting(name, args.rounds, Path(tmp), seed=args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        for rec in records:
            writer.writerow(
                {k: round(v, 4) if isinstance(v, float) else v for k, v in rec.items()}
            )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
