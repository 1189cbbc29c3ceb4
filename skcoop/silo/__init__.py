"""Cooperative distillation across real silos: models and virtual rows as files.

Each site runs its half of the method on its own machine; only fitted models
(:func:`export_model` / :func:`import_model`, skops files with metadata) and
virtual rows (:class:`VirtualRows`, parquet files) cross a boundary; for
the public-set strategies (FedMD, FedDF), only class scores on the public
rows (:func:`public_scores`, ``.npz`` files of plain arrays). The
command line ``python -m skcoop silo export|teach|learn`` runs a round on CSV
or parquet files. Needs the ``silo`` extra (skops, pyarrow).
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._model_io import export_model, import_model, read_metadata
from ._peers import PeerMismatchError, check_peer
from ._protocol import learn, site_seeds, teach
from ._public import (
    PublicScores,
    PublicScoresFormatError,
    public_consensus,
    public_digest,
    public_learn,
    public_scores,
    public_seeds,
)
from ._trust import (
    ModelIntegrityError,
    UntrustedModelError,
    labels_from_json,
    labels_to_json,
)
from ._virtual_rows import VirtualRows, VirtualRowsFormatError

__all__ = [
    "ModelIntegrityError",
    "PeerMismatchError",
    "PublicScores",
    "PublicScoresFormatError",
    "UntrustedModelError",
    "VirtualRows",
    "VirtualRowsFormatError",
    "check_peer",
    "export_model",
    "import_model",
    "labels_from_json",
    "labels_to_json",
    "learn",
    "public_consensus",
    "public_digest",
    "public_learn",
    "public_scores",
    "public_seeds",
    "read_metadata",
    "site_seeds",
    "teach",
]
