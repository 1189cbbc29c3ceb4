"""What a cooperative Flower run reports: per site and round, and the models."""

# SPDX-License-Identifier: BSD-3-Clause

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .task import model_from_bytes, rows_from_bytes, write_model

__all__ = ["CooperativeHistory"]

_COLUMNS = (
    "round",
    "site",
    "score",
    "rows_sent",
    "rows_received",
    "bytes_sent",
    "bytes_received",
    "site_seconds",
)


@dataclass
class CooperativeHistory:
    """The report of a cooperative Flower run.

    Attributes
    ----------
    table : list of dict
        One entry per round and site: ``round`` (0: the members fitted on
        their own rows, before any distillation), ``site``, ``score`` (the
        site's held-out score after the round; NaN when it was missing or has
        no held-out rows), ``rows_sent`` / ``rows_received`` (virtual rows),
        ``bytes_sent`` / ``bytes_received`` (payload bytes: model files and
        their metadata, virtual-rows files; Flower's framing not counted) and
        ``site_seconds`` (the site's own compute time).
    rounds : list of dict
        One entry per round: ``round``, ``seconds`` (the server's wall time
        for the round), ``missing`` (by step, the sites that did not answer
        or failed) and ``errors`` (their error messages).
    names : list of str
        The sites, in their order (by ``partition-id``).
    models : dict of str -> (bytes, str)
        Each site's last model file and its metadata JSON.
    sent_rows : list of (int, bytes)
        Every virtual-rows file the server routed, with its round (1-based).
    """

    table: list = field(default_factory=list)
    rounds: list = field(default_factory=list)
    names: list = field(default_factory=list)
    models: dict = field(default_factory=dict)
    sent_rows: list = field(default_factory=list)

    def add_site(self, n_round, site, **values):
        entry = dict.fromkeys(_COLUMNS, 0)
        entry.update(round=int(n_round), site=site, score=float("nan"))
        entry.update(values)
        self.table.append(entry)

    def add_round(self, n_round, seconds, missing, errors):
        self.rounds.append(
            {
                "round": int(n_round),
                "seconds": float(seconds),
                "missing": {k: list(v) for k, v in missing.items()},
                "errors": dict(errors),
            }
        )

    def keep_rows(self, n_round, data):
        self.sent_rows.append((int(n_round), bytes(data)))

    def missing(self, n_round):
        """The sites missing in round ``n_round``, over all its steps."""
        steps = self.rounds[n_round]["missing"].values()
        return sorted({name for names in steps for name in names})

    def final_models(self, *, trusted=None):
        """Each site's last model, loaded with :func:`skcoop.silo.import_model`."""
        return {
            name: model_from_bytes(data, meta, trusted=trusted)
            for name, (data, meta) in self.models.items()
        }

    def virtual_rows(self):
        """The routed virtual rows, as :class:`~skcoop.silo.VirtualRows`."""
        return [rows_from_bytes(data) for _, data in self.sent_rows]

    def format_table(self):
        """The per-round table as aligned text (one line per round and site)."""
        head = (
            f"{'round':>5} {'site':<10} {'score':>7} {'rows out':>8} "
            f"{'rows in':>8} {'bytes out':>10} {'bytes in':>10} {'site s':>7} "
            f"{'round s':>8}  missing"
        )
        lines = [head]
        for entry in self.table:
            info = self.rounds[entry["round"]]
            score = entry["score"]
            lines.append(
                f"{entry['round']:>5} {entry['site']:<10} "
                f"{'-' if math.isnan(score) else f'{score:.4f}':>7} "
                f"{entry['rows_sent']:>8} {entry['rows_received']:>8} "
                f"{entry['bytes_sent']:>10} {entry['bytes_received']:>10} "
                f"{entry['site_seconds']:>7.2f} {info['seconds']:>8.2f}  "
                f"{','.join(self.missing(entry['round'])) or '-'}"
            )
        return "\n".join(lines)

    def save(self, folder):
        """Write the final model files, the routed rows and ``history.json``.

        ``history.json`` comes last: once it is there, the rest is too.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for data, meta in self.models.values():
            write_model(folder, data, meta)
        routed = []
        if self.sent_rows:
            (folder / "routed").mkdir(exist_ok=True)
        for k, (n_round, data) in enumerate(self.sent_rows):
            file = f"routed/round{n_round}-{k:04d}.parquet"
            (folder / file).write_bytes(data)
            routed.append([n_round, file])
        report = {
            "names": self.names,
            "table": self.table,
            "rounds": self.rounds,
            "models": {
                n: json.loads(meta)["file"] for n, (_, meta) in self.models.items()
            },
            "routed": routed,
        }
        (folder / "history.json").write_text(json.dumps(report, indent=1) + "\n")
        return folder / "history.json"

    @classmethod
    def load(cls, folder):
        """Read a history written by :meth:`save`."""
        folder = Path(folder)
        report = json.loads((folder / "history.json").read_text())
        models = {}
        for name, file in report["models"].items():
            path = folder / file
            models[name] = (
                path.read_bytes(),
                path.with_name(file + ".json").read_text(),
            )
        return cls(
            table=report["table"],
            rounds=report["rounds"],
            names=report["names"],
            models=models,
            sent_rows=[
                (int(r), (folder / file).read_bytes())
                for r, file in report.get("routed", [])
            ],
        )
