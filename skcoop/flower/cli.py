"""``python -m skcoop flower new|credentials``: start a Flower deployment.

- ``new DIR`` writes the Flower app project (``pyproject.toml`` naming the
  ServerApp and ClientApp, the run config, a README) for a team to edit;
- ``node-key PATH`` writes a SuperNode's key pair, at its site;
- ``credentials DIR`` writes a throwaway certificate authority, the
  SuperLink's TLS certificate for the addresses the sites reach it at, and
  one key pair per SuperNode (:mod:`skcoop.flower.credentials`).
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add the ``flower`` command and its subcommands to ``sub``."""
    flower = sub.add_parser(
        "flower",
        help="write a Flower app project, certificates and SuperNode keys",
        description="Run cooperative distillation between sites with Flower.",
    )
    steps = flower.add_subparsers(dest="step", required=True)
    new = steps.add_parser("new", help="write the Flower app project into DIR")
    new.add_argument("dir", help="a new (or empty) folder")
    creds = steps.add_parser(
        "credentials",
        help="write a CA, the SuperLink's TLS certificate and SuperNode keys",
    )
    creds.add_argument("dir", help="folder for the files")
    creds.add_argument(
        "--hosts",
        nargs="+",
        default=["127.0.0.1", "localhost"],
        metavar="HOST",
        help="addresses (IP or DNS name) the sites reach the SuperLink at "
        "(default: 127.0.0.1 localhost)",
    )
    creds.add_argument(
        "--nodes",
        nargs="*",
        default=[],
        metavar="NAME",
        help="one SuperNode key pair per name: NAME (private) and NAME.pub",
    )
    creds.add_argument("--days", type=int, default=365, help="validity (days)")
    key = steps.add_parser(
        "node-key",
        help="write a SuperNode's key pair (as ssh-keygen -t ecdsa -b 384 does)",
    )
    key.add_argument("path", help="the private key to write; PATH.pub beside it")
    return flower


def run(args, out=None):
    """Run a parsed ``flower`` command; return the exit status."""
    out = sys.stdout if out is None else out
    try:
        {"new": _new, "credentials": _credentials, "node-key": _node_key}[args.step](
            args, out
        )
    except (FileExistsError, ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _new(args, out):
    from ._project import write_project

    paths = write_project(args.dir)
    print(f"wrote the Flower app project into {args.dir}:", file=out)
    for path in paths:
        print(f"  {path.relative_to(args.dir)}", file=out)
    print(
        f"try it: cd {args.dir} && flwr run . local "
        '--federation-config "num-supernodes=3"',
        file=out,
    )


def _credentials(args, out):
    from ..utils import import_optional

    import_optional("cryptography", "writing certificates (installed with flwr)")
    from .credentials import make_certificates, make_node_key

    if args.days < 1:
        raise ValueError(f"--days must be at least 1. Got {args.days} instead.")
    if len(set(args.nodes)) != len(args.nodes):
        raise ValueError(f"--nodes must name each node once. Got {args.nodes}.")
    folder = Path(args.dir)
    paths = make_certificates(folder, args.hosts, days=args.days)
    print(
        f"wrote {paths['ca'].name} (give it to every site) and {paths['ca_key'].name} "
        f"(keep it offline) into {folder}",
        file=out,
    )
    print(
        f"wrote {paths['server'].name} and {paths['server_key'].name} (the "
        f"SuperLink's, for {', '.join(args.hosts)})",
        file=out,
    )
    for name in args.nodes:
        private, public = make_node_key(folder, name)
        print(
            f"wrote {private.name} (stays at site {name}) and {public.name} "
            "(register it on the SuperLink)",
            file=out,
        )


def _node_key(args, out):
    from .credentials import make_node_key

    path = Path(args.path)
    if path.exists():
        raise FileExistsError(f"{str(path)!r} exists; give a new file name.")
    private, public = make_node_key(path.parent, path.name)
    print(
        f"wrote {private} (stays here) and {public} (send it to the SuperLink's "
        "operator to register)",
        file=out,
    )
