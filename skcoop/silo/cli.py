"""``python -m skcoop silo export|teach|learn|audit``: a round across sites, on files.

Each site runs the commands on its own machine with its own data file (CSV
or parquet); the only files that cross to another site are model files
(``*.skops`` with ``*.skops.json``) and virtual-rows files (``*.parquet``).

- ``export`` fits the site's member on its rows (or takes a fitted skops
  file) and writes its model file and metadata;
- ``teach`` runs the site's model against its peers' models on its own
  rows and writes one virtual-rows file per peer;
- ``learn`` refits the site's member on its rows plus the virtual rows it
  received and writes the new model file;
- ``audit`` shows what the rows ``teach`` wrote reveal about the site's rows.
"""

# SPDX-License-Identifier: BSD-3-Clause

import difflib
import importlib
import sys
import time
import warnings
from pathlib import Path

from ._audit_cli import add_audit_parser, add_release_limits
from ._cli_errors import USER_ERRORS, CommandError, check_args, one_line
from .options import add_setting_options, settings_from_args

CLASSIFIERS = ("logreg", "forest", "knn", "naive_bayes", "tree")
REGRESSORS = ("ridge", "forest_regressor", "knn_regressor")


def add_parser(sub):
    """Add the ``silo`` command and its subcommands to ``sub``."""
    silo = sub.add_parser(
        "silo",
        help="run cooperative distillation across sites by exchanging files",
        description="Cooperative distillation across sites: each site runs these "
        "commands on its own data; only model files and virtual-rows files are "
        "exchanged.",
    )
    steps = silo.add_subparsers(dest="step", required=True)

    def data_args(p):
        p.add_argument("--data", required=True, help="the site's rows (CSV or parquet)")
        p.add_argument("--target", required=True, help="the label (target) column")

    def trust_arg(p):
        p.add_argument(
            "--trust",
            nargs="+",
            default=[],
            metavar="TYPE",
            help="further types to load from model files (package.module.Class)",
        )

    def sites_arg(p):
        p.add_argument(
            "--sites",
            nargs="+",
            default=None,
            metavar="NAME",
            help="every site's name in the agreed order (the ensemble's member "
            "order); default: sorted by name",
        )

    export = steps.add_parser(
        "export", help="fit the site's member and write its model file"
    )
    data_args(export)
    export.add_argument("--model", required=True, help="model file to write (.skops)")
    export.add_argument("--name", required=True, help="the site's (member's) name")
    how = export.add_mutually_exclusive_group()
    how.add_argument(
        "--estimator",
        default="logreg",
        help="a built-in learner "
        f"({', '.join(CLASSIFIERS + REGRESSORS)}) or 'module:factory', a function "
        "returning an unfitted estimator (default: logreg)",
    )
    how.add_argument(
        "--fitted",
        metavar="SKOPS",
        help="a fitted model in a skops file to export instead of fitting one",
    )
    export.add_argument("--seed", type=int, default=0, help="seeds a built-in learner")
    trust_arg(export)

    teach = steps.add_parser(
        "teach", help="write virtual rows for each peer, from the site's own rows"
    )
    data_args(teach)
    teach.add_argument("--model", required=True, help="the site's model file")
    teach.add_argument(
        "--peers", nargs="+", required=True, help="the peers' model files"
    )
    teach.add_argument("--out", required=True, help="folder for the virtual-rows files")
    seeds = teach.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=None, help="seeds the search")
    seeds.add_argument(
        "--shared-seed",
        type=int,
        default=None,
        help="the random_state every site agreed on: this site's search seed is "
        "the one the in-process ensemble with that random_state would use "
        "(skcoop.silo.site_seeds)",
    )
    teach.add_argument("--round", type=int, default=0, help="round number (from 0)")
    teach.add_argument(
        "--received",
        nargs="*",
        default=[],
        help="virtual-rows files (or folders) this site received in earlier "
        "rounds: the out-of-fold judge refits on them",
    )
    sites_arg(teach)
    trust_arg(teach)
    add_setting_options(teach)
    add_release_limits(teach)

    learn = steps.add_parser(
        "learn", help="refit the site's member on its rows plus virtual rows"
    )
    data_args(learn)
    learn.add_argument("--model", required=True, help="the site's model file")
    learn.add_argument(
        "--received",
        nargs="*",
        default=[],
        help="virtual-rows files (or folders of them) sent to this site",
    )
    learn.add_argument("--out", required=True, help="model file to write (.skops)")
    learn.add_argument("--virtual-weight", type=float, default=1.0)
    learn.add_argument(
        "--cold-refit",
        action="store_true",
        help="refit a clone of the site's model instead of starting from its "
        "fitted state (warm_refit=False)",
    )
    sites_arg(learn)
    learn.add_argument(
        "--holdout", help="rows to score the model on, before and after (CSV/parquet)"
    )
    trust_arg(learn)
    add_audit_parser(steps, data_args)
    return silo


def run(args, out=None):
    """Run a parsed ``silo`` command; return the exit status.

    A user's mistake (:data:`USER_ERRORS`: a missing or damaged file, an
    option out of range, data the model cannot read) is printed as one line
    on stderr with exit status 1; output paths are checked before any work.
    """
    out = sys.stdout if out is None else out
    steps = {"export": _export, "teach": _teach, "learn": _learn, "audit": _audit}
    try:
        check_args(args)
        steps[args.step](args, out)
    except USER_ERRORS as exc:
        # the trust, integrity, peer and file-format errors are ValueErrors
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------- data files
def read_table(path):
    """A site's rows from a CSV or parquet file, as a DataFrame."""
    from ..utils import import_optional

    pd = import_optional("pandas", "reading data files")
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"No data file at {str(path)!r}.")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise CommandError(
            f"Data files must be CSV (.csv) or parquet (.parquet). Got {str(path)!r}."
        )
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        else:
            import_optional("pyarrow", "reading parquet files")
            frame = pd.read_parquet(path)
    except ImportError:
        raise
    except Exception as exc:
        raise CommandError(
            f"{str(path)!r} is not a readable {suffix[1:]} file: {exc}"
        ) from exc
    if frame.shape[0] == 0:
        raise CommandError(f"{str(path)!r} holds no rows; a site needs its rows.")
    return frame


def split_target(frame, target, path):
    """``X`` (every other column) and ``y`` (the target column) of a table."""
    if target not in frame.columns:
        names = [str(c) for c in frame.columns]
        close = difflib.get_close_matches(str(target), names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CommandError(
            f"The target column {target!r} is not a column of {str(path)!r}; its "
            f"columns are {names}.{hint}"
        )
    return frame.drop(columns=[target]), frame[target].to_numpy()


def _site_rows(args):
    return split_target(read_table(args.data), args.target, args.data)


# ------------------------------------------------------------------ estimators
def builtin_estimator(name, X=None, random_state=0):
    """A built-in learner, one-hot encoding the non-numeric columns of ``X``.

    The learners are those of ``python -m skcoop demo``.
    """
    from .._demo import LEARNERS

    estimator = LEARNERS[name](random_state)
    if X is not None and hasattr(X, "select_dtypes"):
        import numpy as np
        from sklearn.pipeline import make_pipeline

        other = X.select_dtypes(exclude=[np.number, "bool"]).columns.tolist()
        if other:
            from sklearn.compose import make_column_transformer
            from sklearn.preprocessing import OneHotEncoder

            encode = make_column_transformer(
                (OneHotEncoder(handle_unknown="ignore", sparse_output=False), other),
                remainder="passthrough",
            )
            estimator = make_pipeline(encode, estimator)
    return estimator


def _estimator(spec, X, seed):
    if spec in CLASSIFIERS + REGRESSORS:
        return builtin_estimator(spec, X, seed)
    if ":" not in spec:
        close = difflib.get_close_matches(spec, CLASSIFIERS + REGRESSORS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CommandError(
            f"--estimator must be one of {', '.join(CLASSIFIERS + REGRESSORS)} or "
            f"'module:factory'. Got {spec!r} instead.{hint}"
        )
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise CommandError(
            f"Cannot import the factory {spec!r}: {exc}. Give 'module:function' "
            "with the module importable from this site (e.g. on PYTHONPATH)."
        ) from exc
    estimator = factory()
    if not hasattr(estimator, "fit"):
        raise CommandError(
            f"The factory {spec!r} must return an unfitted estimator. Got "
            f"{type(estimator).__name__} instead."
        )
    return estimator


def make_estimator(spec, X=None, seed=0):
    """The unfitted estimator ``--estimator spec`` names (built-in or factory).

    Raises :class:`CommandError` (one line, no traceback) for a bad ``spec``.
    """
    return _estimator(spec, X, seed)


def _load_plain_skops(path, trusted):
    """A fitted model from a skops file without skcoop metadata, type-checked."""
    from ..utils import import_optional
    from ._trust import refuse_untrusted

    sio = import_optional("skops.io", "model files")
    if not Path(path).is_file():
        raise CommandError(f"No skops file at {str(path)!r}.")
    found = sio.get_untrusted_types(file=path)
    refuse_untrusted(found, trusted, path)
    return sio.load(path, trusted=found)


def _import(path, trusted, what):
    from . import import_model

    if not Path(path).is_file():
        raise CommandError(f"No {what} model file at {str(path)!r}.")
    return import_model(path, trusted=trusted or None)


# ------------------------------------------------------------------------ steps
def _export(args, out):
    from . import export_model

    X, y = _site_rows(args)
    if args.fitted:
        model = _load_plain_skops(args.fitted, args.trust)
        how = f"took the fitted {type(model).__name__} from {args.fitted}"
    else:
        model = _estimator(args.estimator, X, args.seed)
        start = time.perf_counter()
        model.fit(X, y)
        how = (
            f"fitted {args.estimator} on {len(y)} rows in "
            f"{time.perf_counter() - start:.1f}s"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        model_path, meta_path = export_model(model, args.model, name=args.name, X=X)
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    size = model_path.stat().st_size + meta_path.stat().st_size
    print(
        f"site {args.name}: {how}; wrote "
        f"{model_path} and {meta_path.name} ({_kib(size)})",
        file=out,
    )


def _teach(args, out):
    from . import read_metadata, site_seeds

    settings = settings_from_args(args)
    limits = _release_limits(args)
    X, y = _site_rows(args)
    name = read_metadata(_existing(args.model, "site's"))["name"]
    model = _import(args.model, args.trust, "site's")
    peers = {}
    for path in args.peers:
        peer = read_metadata(_existing(path, "peer"))["name"]
        if peer == name or peer in peers:
            raise CommandError(
                f"Each peer needs its own name; {str(path)!r} is named {peer!r} "
                f"like {'this site' if peer == name else 'another peer'}."
            )
        peers[peer] = str(path)
    seed = args.seed
    if args.shared_seed is not None:
        order = _order(args.sites, [name, *peers])
        seed = site_seeds(args.shared_seed, order, n_rounds=args.round + 1)[args.round][
            name
        ]
    earlier = _load_received(args.received, name, args.sites)
    from . import teach

    start = time.perf_counter()
    sent = teach(
        model,
        X,
        y,
        peers,
        name=name,
        round=args.round,
        random_state=seed,
        trusted=args.trust or None,
        received=earlier or None,
        **settings,
    )
    seconds = time.perf_counter() - start
    if limits is not None:
        _check_release(name, sent, X, y, limits, args, out)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"site {name}: taught {len(peers)} peer(s) on {len(y)} own rows in "
        f"{seconds:.1f}s",
        file=out,
    )
    for student in peers:
        if student not in sent:
            print(f"  -> {student}: no shared column, nothing to send", file=out)
            continue
        rows = sent[student]
        path = rows.save(folder / f"{name}-to-{student}-round{args.round}.parquet")
        print(
            f"  -> {student}: {len(rows)} virtual rows, {path} "
            f"({_kib(path.stat().st_size)})",
            file=out,
        )


def _release_limits(args):
    """The holdout rows of ``--max-auc``/``--max-tpr``, or None without limits."""
    from ._audit_cli import _check_limits

    if args.max_auc is None and args.max_tpr is None:
        return None
    _check_limits(args)
    if not args.holdout:
        raise CommandError(
            "--max-auc and --max-tpr audit the rows against records the site "
            "never used: give them with --holdout FILE."
        )
    return split_target(read_table(args.holdout), args.target, args.holdout)


def _check_release(name, sent, X, y, holdout, args, out):
    from ._audit_cli import audit_rows, over_limits, print_table

    table = audit_rows(sent, X, y, *holdout)
    print_table(name, table, out)
    over = over_limits(table, args.max_auc, args.max_tpr)
    if over:
        raise CommandError(
            "nothing was written: " + "; ".join(over) + ". Turn the release "
            "guard on (--guard auto, the default) and teach again."
        )


def _audit(args, out):
    from ._audit_cli import run_audit

    def holdout(path):
        return split_target(read_table(path), args.target, path)

    run_audit(args, out, _site_rows, holdout, _received_files, CommandError)


def _order(sites, names):
    """The agreed order of the sites, checked to hold every name."""
    if sites is None:
        return sorted(names)
    missing = [n for n in names if n not in sites]
    if missing or len(set(sites)) != len(sites):
        raise CommandError(
            f"--sites must list every site once, this one and its peers "
            f"({sorted(names)}). Got {sites} instead."
        )
    return list(sites)


def _learn(args, out):
    from . import export_model, read_metadata

    X, y = _site_rows(args)
    name = read_metadata(_existing(args.model, "site's"))["name"]
    model = _import(args.model, args.trust, "site's")
    received = _load_received(args.received, name, args.sites)
    from . import learn

    start = time.perf_counter()
    new = learn(
        model,
        X,
        y,
        received,
        virtual_weight=args.virtual_weight,
        warm_refit=not args.cold_refit,
    )
    seconds = time.perf_counter() - start
    model_path, meta_path = export_model(new, args.out, name=name, X=X)
    n_virtual = sum(len(r) for r in received)
    teachers = ", ".join(sorted({r.teacher for r in received})) or "none"
    print(
        f"site {name}: refitted on {len(y)} own + {n_virtual} virtual rows (from "
        f"{teachers}) in {seconds:.1f}s; wrote {model_path} and {meta_path.name}",
        file=out,
    )
    if args.holdout:
        X_test, y_test = split_target(
            read_table(args.holdout), args.target, args.holdout
        )
        print(
            f"  held-out score ({len(y_test)} rows): before "
            f"{model.score(X_test, y_test):.3f}, after {new.score(X_test, y_test):.3f}",
            file=out,
        )


def _load_received(paths, name, sites):
    """The virtual rows sent to site ``name``, by round then teacher order."""
    from . import VirtualRows

    received = []
    for path in _received_files(paths):
        rows = VirtualRows.load(path)
        if rows.student != name:
            raise CommandError(
                f"{str(path)!r} holds virtual rows for site {rows.student!r}, but "
                f"this site is {name!r}; pass only the files sent to {name!r}."
            )
        received.append(rows)
    # in the order of rounds, then of the teachers (as the ensemble stacks them)
    order = _order(sites, sorted({name, *(r.teacher for r in received)}))
    received.sort(key=lambda r: (r.round, order.index(r.teacher)))
    return received


def _existing(path, what):
    if not Path(path).is_file():
        raise CommandError(f"No {what} model file at {str(path)!r}.")
    return path


def _received_files(paths):
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(path.glob("*.parquet")))
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"No virtual-rows file or folder at {str(path)!r}.")
    return files


def _kib(n_bytes):
    return f"{n_bytes / 1024:.1f} KiB"
