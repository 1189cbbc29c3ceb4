"""Errors of the ``silo`` command line: one line for a user's mistake.

:func:`~skcoop.silo.cli.run` catches :data:`USER_ERRORS` in one place and
prints them with :func:`one_line`; :func:`check_args` checks the options and
output paths before any work is done (a teach run must not fail on its
``--out`` after the teaching).
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
from pathlib import Path


class CommandError(Exception):
    """An error the command line reports as one line, without a traceback."""


#: errors that a user's mistake (a wrong path, file, option or data) raises;
#: the command line prints them as one line, never as a traceback
USER_ERRORS = (CommandError, OSError, ValueError, TypeError, ImportError, LookupError)


def one_line(exc):
    """An exception as one line: its message (with its type when that helps)."""
    message = " ".join(str(exc).split())
    plain = (CommandError, OSError, ValueError, ImportError)
    if not message or not isinstance(exc, plain):
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return message


def check_args(args):
    """Options and output paths checked before any work is done."""
    if getattr(args, "round", 0) < 0:
        raise CommandError(f"--round must be 0 or more. Got {args.round} instead.")
    outputs = {"export": ("model", "model file"), "learn": ("out", "model file")}
    if args.step in outputs:
        attr, what = outputs[args.step]
        _check_output_file(Path(getattr(args, attr)), what, f"--{attr}")
    if args.step == "teach":
        folder = Path(args.out)
        if folder.exists() and not folder.is_dir():
            raise CommandError(
                f"--out must be a folder for the virtual-rows files. Got "
                f"{str(folder)!r}, which is an existing file; give a folder."
            )
        parent = _existing_parent(folder)
        if not _writable(parent):
            raise CommandError(
                f"--out {str(folder)!r}: cannot write in {str(parent)!r}."
            )


def _check_output_file(path, what, option):
    if path.is_dir():
        raise CommandError(
            f"{option} must be a {what} to write. Got {str(path)!r}, which is a "
            "folder; give a file name such as site.skops."
        )
    if not path.parent.is_dir():
        raise CommandError(
            f"{option} {str(path)!r}: its folder {str(path.parent)!r} does not exist. "
            "Create it first or give another path."
        )
    meta = path.with_name(path.name + ".json")
    if meta.is_dir():
        raise CommandError(
            f"{option} {str(path)!r}: its metadata would go to {str(meta)!r}, which "
            "is a folder."
        )
    if not _writable(path.parent):
        raise CommandError(f"{option} {str(path)!r}: cannot write in its folder.")


def _existing_parent(path):
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(folder):
    return os.access(folder, os.W_OK)
