"""Federated training with KD pre-consolidation on Flower (issue 15).

    nice python benchmarks/federated/run.py --quick     # under 2 min on 2 cores
                                                         # (101 s at load 4.5-5.5)
    nice python benchmarks/federated/run.py             # full: 5 seeds

For each dataset (sklearn digits; a Fashion-MNIST subset when the Debian
package is installed), data distribution (IID, Dirichlet 0.1 / 0.5 / 1.0 label
skew over 5 clients) and seed, the clients pre-train the same MLP on their
own rows, and FedAvg (Flower's strategy, Message API, simulation runtime)
starts from:

- ``random``: fresh weights;
- ``best_single``: the pre-trained model that scores best in a federated
  evaluation on the clients' own rows;
- ``kd``: vanilla multi-teacher KD of the pre-trained models (T=2, w=0.5);
- ``kd_tuned``: the same, T and w grid-searched (federated evaluation);
- ``coop``: cooperative distillation among the clients, then tuned KD.

Each runs until its held-out accuracy reaches the target (95% of a model
trained centrally on all clients' rows) or ``--max-rounds``. Writes
``results/<mode>/federated.csv`` (one row per dataset, setting, seed and
method, with the accuracy curve), ``summary.md`` and the plots.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skcoop.datasets import DatasetNotAvailableError, load_fashion_mnist  # noqa: E402
from skcoop.federated import (  # noqa: E402
    CooperativeConsolidator,
    KDConsolidator,
    count_rounds,
    federated_accuracy,
    get_weights,
    make_mlp_net,
)
from skcoop.partition import DirichletPartitioner, IIDPartitioner  # noqa: E402

HERE = Path(__file__).resolve().parent
METHODS = ("random", "best_single", "kd", "kd_tuned", "coop")
VANILLA = {"temperature": 2.0, "alpha": 0.5}
TUNE_GRID = {"temperature": [1, 2, 4, 8], "alpha": [0.25, 0.5, 0.75, 0.9]}
QUICK_GRID = {"temperature": [1, 4], "alpha": [0.5, 0.9]}
# rounds of communication before FedAvg (see the README of this folder)
BEST_SINGLE_ROUNDS = 2  # upload the pre-trained models + federated evaluation


def load(name, quick, seed, fashion_size=None):
    """``(X_clients, y_clients, X_transfer, X_test, y_test)`` of a dataset."""
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        Xtr, Xte, ytr, yte = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
    else:
        n_train, n_test = fashion_size or ((2000, 1000) if quick else (3000, 1000))
        Xtr, ytr = load_fashion_mnist(
            "train", n_samples=n_train, random_state=seed, return_X_y=True
        )
        Xte, yte = load_fashion_mnist(
            "test", n_samples=n_test, random_state=seed, return_X_y=True
        )
    # the server's public transfer set: 25% of the training rows, never a client's
    Xc, Xpub, yc, _ = train_test_split(
        Xtr, ytr, test_size=0.25, stratify=ytr, random_state=seed
    )
    return Xc, yc.astype(np.int64), Xpub, Xte, yte.astype(np.int64)


def sites(setting, X, y, n_clients, seed):
    """Client of each row; a Dirichlet draw is kept when every client holds
    >= 2 classes (a classifier, and the cooperative ensemble, need two)."""
    if setting == "iid":
        return IIDPartitioner(n_clients, random_state=seed).split(X, y)
    alpha = float(setting.split("=")[1])
    for attempt in range(100):
        part = DirichletPartitioner(
            n_clients,
            alpha=alpha,
            min_partition_size=10,
            max_tries=100,
            random_state=seed * 1000 + attempt,
        )
        site = part.split(X, y)
        if all(len(np.unique(y[site == k])) >= 2 for k in range(n_clients)):
            return site
    raise RuntimeError(f"no draw of {setting} gives every client two classes")


def net(n_features, seed, epochs):
    return make_mlp_net(n_features, 10, max_epochs=epochs, random_state=seed)


def prepare(dataset, setting, seed, cfg, tuned_params):
    """Pre-train, consolidate; the FedAvg starting points of one setting."""
    Xc, yc, Xpub, Xte, yte = load(dataset, cfg.quick, seed, cfg.fashion_size)
    site = sites(setting, Xc, yc, cfg.n_clients, seed)
    clients = [(Xc[site == k], yc[site == k]) for k in range(cfg.n_clients)]
    d = Xc.shape[1]
    rows = dict(dataset=dataset, setting=setting, seed=seed)
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    central = net(d, seed, cfg.epochs).fit(Xc, yc)
    central_acc = float(np.mean(central.predict(Xte) == yte))
    t_central = time.perf_counter() - t0

    out = {}
    t0 = time.perf_counter()
    pre = []
    for k, (Xk, yk) in enumerate(clients):
        torch.manual_seed(seed * 100 + k)
        pre.append(net(d, seed * 100 + k, cfg.epochs).fit(Xk, yk))
    t_pre = time.perf_counter() - t0
    teacher_acc = [float(np.mean(p.predict(Xte) == yte)) for p in pre]
    scoring = federated_accuracy(clients)

    out["random"] = (get_weights(net(d, seed, cfg.epochs)), 0, 0.0, "")
    t0 = time.perf_counter()
    best = int(np.argmax([scoring(p) for p in pre]))
    out["best_single"] = (
        get_weights(pre[best]),
        BEST_SINGLE_ROUNDS,
        time.perf_counter() - t0,
        f"client {best}",
    )
    t0 = time.perf_counter()
    kd = KDConsolidator(pre, n_classes=10, random_state=seed, **VANILLA).fit(Xpub)
    out["kd"] = (
        get_weights(kd.student_),
        kd.communication_rounds_,
        time.perf_counter() - t0,
        "T=2 w=0.5",
    )
    t0 = time.perf_counter()
    key = (dataset, setting)
    if key not in tuned_params:  # tuned per data distribution on the first seed
        kdt = KDConsolidator(
            pre, n_classes=10, random_state=seed, param_grid=cfg.grid, scoring=scoring
        ).fit(Xpub)
        tuned_params[key] = kdt.best_params_
        note = "tuned here"
    else:
        kdt = KDConsolidator(pre, n_classes=10, random_state=seed, **tuned_params[key])
        kdt.fit(Xpub)
        kdt.communication_rounds_ = 2  # the tuning round is charged to every seed
        note = "tuned on the first seed"
    p = tuned_params[key]
    out["kd_tuned"] = (
        get_weights(kdt.student_),
        kdt.communication_rounds_,
        time.perf_counter() - t0,
        f"T={p['temperature']} w={p['alpha']} ({note})",
    )
    t0 = time.perf_counter()
    members = [
        (f"client{k}", net(d, seed * 100 + k, cfg.epochs)) for k in range(cfg.n_clients)
    ]
    torch.manual_seed(seed)
    coop = CooperativeConsolidator(
        members,
        kd=KDConsolidator([], n_classes=10, **p),
        n_rounds=1,
        random_state=seed,
    ).fit(Xc, yc, site=site, X_transfer=Xpub)
    # upload + the 2 exchanges of its round (CooperativeConsolidator's count); its
    # KD's T, w are those of kd_tuned, whose grid candidates are built from the
    # uploaded models and travel with the first exchange (out with the peers'
    # models, their federated scores back with the virtual instances): no round
    coop_rounds = coop.communication_rounds_
    out["coop"] = (
        get_weights(coop.student_),
        coop_rounds,
        time.perf_counter() - t0,
        f"1 round, alpha 0.5, KD T={p['temperature']} w={p['alpha']}",
    )
    accs = {
        "kd": kd.score(Xte, yte),
        "kd_tuned": kdt.score(Xte, yte),
        "coop": coop.score(Xte, yte),
    }
    info = dict(
        rows,
        central_acc=central_acc,
        target=cfg.target * central_acc,
        teacher_mean_acc=float(np.mean(teacher_acc)),
        teacher_best_acc=float(np.max(teacher_acc)),
        central_s=t_central,
        pretrain_s=t_pre,
        client_rows=" ".join(str(len(c[1])) for c in clients),
        n_transfer=len(Xpub),
    )
    return clients, Xte, yte, out, info, accs


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--quick", action="store_true")
    p.add_argument("--seeds", nargs="+", type=int)
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--settings", nargs="+", default=None)
    p.add_argument("--max-rounds", type=int, default=None)
    p.add_argument("--out", default=None)
    p.add_argument(
        "--fashion-size",
        nargs=2,
        type=int,
        metavar=("N_TRAIN", "N_TEST"),
        help="Fashion-MNIST rows drawn (default 3000 1000; quick 2000 1000)",
    )
    p.add_argument(
        "--merge",
        nargs="+",
        metavar="DIR",
        help="only rewrite the report of --out from the federated.csv and meta.json "
        "of these folders (runs of separate datasets)",
    )
    args = p.parse_args(argv)
    if args.merge:
        return merge(args.merge, Path(args.out))
    cfg = argparse.Namespace(
        quick=args.quick,
        n_clients=5,
        epochs=20 if args.quick else 30,
        target=0.95,
        grid=QUICK_GRID if args.quick else TUNE_GRID,
        local_epochs=2,
        lr=0.1,
        batch_size=32,
        max_rounds=args.max_rounds or (40 if args.quick else 150),
        fashion_size=tuple(args.fashion_size) if args.fashion_size else None,
    )
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2, 3, 4])
    datasets = args.datasets or (["digits"] if args.quick else ["digits", "fashion"])
    settings = args.settings or (
        ["iid", "dirichlet=0.5"]
        if args.quick
        else ["iid", "dirichlet=0.1", "dirichlet=0.5", "dirichlet=1.0"]
    )
    out_dir = (
        Path(args.out)
        if args.out
        else HERE / "results" / ("quick" if args.quick else "full")
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    from skcoop.flower.fedavg import FedAvgJob, run_fedavg

    t_start = time.perf_counter()
    records, jobs, skipped = [], [], []
    tuned = {}
    for dataset in datasets:
        for setting in settings:
            for seed in seeds:
                try:
                    clients, Xte, yte, inits, info, accs = prepare(
                        dataset, setting, seed, cfg, tuned
                    )
                except DatasetNotAvailableError as exc:
                    skipped.append(f"{dataset}: {exc}")
                    print(f"skipping {dataset}: {exc}", flush=True)
                    break
                print(
                    f"{dataset} {setting} seed {seed}: central "
                    f"{info['central_acc']:.3f}, teachers "
                    f"{info['teacher_mean_acc']:.3f}, consolidated "
                    + ", ".join(f"{k} {v:.3f}" for k, v in accs.items()),
                    flush=True,
                )
                for method in METHODS:
                    weights, c_rounds, c_s, params = inits[method]
                    name = f"{dataset}|{setting}|{seed}|{method}"
                    jobs.append(
                        FedAvgJob(
                            name,
                            clients,
                            weights,
                            Xte,
                            yte,
                            n_rounds=cfg.max_rounds,
                            local_epochs=cfg.local_epochs,
                            lr=cfg.lr,
                            batch_size=cfg.batch_size,
                            seed=seed,
                            stop_at=info["target"],
                        )
                    )
                    records.append(
                        dict(
                            info,
                            method=method,
                            consolidation_rounds=c_rounds,
                            consolidation_s=c_s,
                            params=params,
                            job=name,
                        )
                    )
            else:
                continue
            break
    t_prep = time.perf_counter() - t_start
    timings = {}
    histories = run_fedavg(jobs, timings=timings)
    rows = []
    for rec in records:
        h = histories[rec.pop("job")]
        c = count_rounds(h.accuracy, rec["target"], rec["consolidation_rounds"])
        rows.append(
            dict(
                rec,
                init_acc=float(h.accuracy[0]),
                fedavg_rounds=c.fedavg,
                total_rounds=c.total if c.total is not None else c.censored_at,
                censored=c.total is None,
                fedavg_s=h.seconds,
                curve=" ".join(f"{a:.4f}" for a in h.accuracy),
            )
        )
    df = pd.DataFrame(rows)
    df.to_csv(out_dir / "federated.csv", index=False)
    meta = dict(
        mode="quick" if args.quick else "full",
        seeds=seeds,
        datasets=datasets,
        settings=settings,
        prep_s=t_prep,
        simulation_total_s=timings["total_s"],
        simulation_fixed_s=timings["fixed_s"],
        simulation_rounds=len(timings["round_s"]),
        simulation_median_round_s=float(np.median(timings["round_s"])),
        n_jobs=len(jobs),
        wall_s=time.perf_counter() - t_start,
        skipped=skipped,
        **{k: v for k, v in vars(cfg).items() if k != "quick"},
    )
    import report

    report.write(df, meta, out_dir)
    print(f"done in {meta['wall_s']:.0f} s -> {out_dir}", flush=True)


def merge(folders, out_dir):
    """One CSV and one summary from runs of separate datasets."""
    import json

    import report

    frames, metas = [], []
    for folder in folders:
        frames.append(pd.read_csv(Path(folder) / "federated.csv"))
        metas.append(json.loads((Path(folder) / "meta.json").read_text()))
    meta = dict(metas[0])
    meta["datasets"] = [d for m in metas for d in m["datasets"]]
    meta["skipped"] = [s for m in metas for s in m["skipped"]]
    meta["parts"] = [
        {
            k: m[k]
            for k in (
                "datasets",
                "wall_s",
                "prep_s",
                "simulation_total_s",
                "simulation_fixed_s",
                "simulation_rounds",
                "simulation_median_round_s",
                "n_jobs",
            )
        }
        for m in metas
    ]
    for key in (
        "wall_s",
        "prep_s",
        "simulation_total_s",
        "simulation_fixed_s",
        "n_jobs",
        "simulation_rounds",
    ):
        meta[key] = sum(m[key] for m in metas)
    out_dir.mkdir(parents=True, exist_ok=True)
    df = pd.concat(frames, ignore_index=True)
    df.to_csv(out_dir / "federated.csv", index=False)
    report.write(df, meta, out_dir)


if __name__ == "__main__":
    main()
