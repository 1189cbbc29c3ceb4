"""The rounds of distillation: cooperative (counterfactual) and classic KD.

A mixin of :class:`~skcoop._base._BaseCooperative`: per round, who is right
where (expertise and deficiency), each teacher's counterfactual search,
mapping virtual rows into each student's columns, deduplication and the
transfer report, and refitting the students.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from . import _members as mb
from ._steps import deficiency, expertise, first_occurrence
from .counterfactual import make_search
from .views import ColumnMapper, NoSharedColumnsWarning

_VIRTUAL_KEYS = ("X", "y", "teacher", "source_index", "round")


class _DistillationRounds:
    """Rounds of distillation; needs the member state set by ``_fit_members``."""

    def _distill(self, X, y, fitted, rng):
        """Run ``n_rounds`` of cooperative distillation; return the students."""
        k = len(self._names)
        virtual = [None] * k
        report = []
        students = list(fitted)
        for n_round in range(self.n_rounds):
            start = time.perf_counter()
            correct, correct_by = self._judge(students, X, y)
            expert = expertise(correct, self._rows, pool=self.pool)
            if self._zero_weight is not None:  # a row of weight 0 is not in the data
                expert[:, self._zero_weight] = False
            queries = [
                np.flatnonzero(
                    expert[i] & np.any(np.delete(~correct_by[i], i, axis=0), axis=0)
                )
                for i in range(k)
            ]
            pairs = {
                (i, j): deficiency(expert, correct_by[i], i, j)
                for i in range(k)
                for j in range(k)
                if i != j
            }
            for (i, j), rows in pairs.items():
                self._log(
                    f"round {n_round + 1}: |R({self._names[i]} -> "
                    f"{self._names[j]})| = {rows.size}"
                )
            seeds = rng.randint(np.iinfo(np.int32).max, size=k)
            searches = Parallel(n_jobs=self.n_jobs)(
                delayed(self._search_teacher)(
                    students[i], i, X, y, queries[i], seeds[i]
                )
                for i in range(k)
            )
            new = [[] for _ in range(k)]
            for i, (result, seconds, searched) in enumerate(searches):
                for j in range(k):
                    if j != i and pairs[(i, j)].size:
                        self._route_virtual(
                            i,
                            j,
                            searched,
                            pairs[(i, j)],
                            result,
                            seconds,
                            y,
                            new,
                            report,
                            n_round,
                        )
            changed = self._collect_virtual(virtual, new, report, n_round)
            students = self._refit(students, virtual, changed)
            total = sum(0 if v is None else len(v["y"]) for v in virtual)
            self._log(
                f"round {n_round + 1} done in {time.perf_counter() - start:.2f}s: "
                f"{total} virtual instances in all"
            )
        return students, virtual, report

    def _distill_classic(self, distiller, initial, rng):
        """Classic KD rounds: each student learns the others' soft outputs."""
        students = list(initial)
        X_parts = [Xo for Xo, _ in self._own]
        y_parts = [yo for _, yo in self._own]
        sw_parts = [p.get("sample_weight") for p in self._params]
        for n_round in range(self.n_rounds):
            start = time.perf_counter()
            students = distiller.distill(
                [
                    t.estimator if mb.is_pretrained(t) else self._clone_member(t)
                    for t in self._templates
                ],
                [s.estimator if mb.is_pretrained(s) else s for s in students],
                X_parts,
                y_parts,
                sw_parts,
                self.classes_,
                random_state=rng.randint(np.iinfo(np.int32).max),
                transform=self._kd_transform,
            )
            self._log(
                f"round {n_round + 1}: {type(distiller).__name__} refitted "
                f"{len(students)} students in {time.perf_counter() - start:.2f}s"
            )
        return students

    def _kd_transform(self, i, j, X_j):
        """Rows of member ``j``'s columns written in member ``i``'s columns."""
        mapper = self._mapper(j, i)
        if mapper is True:
            return X_j
        if mapper is None:  # nothing shared: the teacher sees only fills
            mapper = self._column_mapper(j, i)
        return mapper.transform(X_j)

    def _search_teacher(self, model, i, X, y, query_rows, seed):
        """Counterfactuals of one teacher for every row it may teach."""
        start = time.perf_counter()
        if query_rows.size == 0:
            return None, 0.0, query_rows
        search = make_search(self.counterfactual, model)
        params = search.get_params(deep=False)
        update = {"alpha": self.alpha} if "alpha" in params else {}
        if "random_state" in params and params["random_state"] is None:
            update["random_state"] = int(seed)
        search.set_params(**update)
        ref = self._rows[i]
        if self._zero_weight is not None:
            ref = ref[~self._zero_weight[ref]]
        X_ref = mb.take(X, ref, self._columns[i])
        X_query = mb.take(X, query_rows, self._columns[i])
        if hasattr(X_query, "isna") and not X_ref.isna().to_numpy().any():
            # a search fitted on complete rows cannot hold a missing value
            # fixed (pool="union" can bring other sites' incomplete rows)
            complete = ~X_query.isna().to_numpy().any(axis=1)
            query_rows, X_query = query_rows[complete], X_query[complete]
            if query_rows.size == 0:
                return None, time.perf_counter() - start, query_rows
        search.fit(X_ref, y[ref])
        result = search.generate(model, X_query, y[query_rows])
        return result, time.perf_counter() - start, query_rows

    def _route_virtual(
        self, i, j, query_rows, rows, result, seconds, y, new, report, n_round
    ):
        """Hand teacher ``i``'s counterfactuals for ``R_{i->j}`` to student ``j``.

        ``query_rows`` are the rows the teacher searched (sorted); a row of
        ``R_{i->j}`` it could not search counts as not found.
        """
        pos = np.searchsorted(query_rows, rows)
        searched = pos < query_rows.size
        searched[searched] = query_rows[pos[searched]] == rows[searched]
        ok = np.zeros(rows.size, dtype=bool)
        if result is not None:
            ok[searched] = np.asarray(result.success)[pos[searched]]
        mapper = self._mapper(i, j)
        if mapper is None:
            ok = np.zeros_like(ok)
        Xv = mb.take(result.X, pos[ok])
        if mapper is not None and mapper is not True:
            Xv = mapper.transform(Xv)
        own = self._own[j][0]
        if not hasattr(Xv, "iloc") and hasattr(own, "dtype") and Xv.dtype != own.dtype:
            Xv = np.asarray(Xv).astype(own.dtype)  # rows in the student's own form
        new[j].append(
            {
                "X": Xv,
                "y": y[rows[ok]],
                "teacher": np.full(int(ok.sum()), self._names[i], dtype=object),
                "source_index": rows[ok],
                "round": np.full(int(ok.sum()), n_round),
            }
        )
        for label, is_label in self._report_groups(y[rows]):
            report.append(
                {
                    "round": n_round,
                    "teacher": self._names[i],
                    "student": self._names[j],
                    "class": label,
                    "qualifying": int(is_label.sum()),
                    "found": int((ok & is_label).sum()),
                    "kept": 0,
                }
            )
        self._log(
            f"round {n_round + 1}: search {self._names[i]} -> {self._names[j]}: "
            f"{int(ok.sum())} of {rows.size} counterfactuals found "
            f"(teacher search {seconds:.2f}s for {query_rows.size} rows)"
        )

    def _keys(self, m):
        """Column keys of member ``m`` in the ensemble's full column set."""
        return self._all_keys if self._columns[m] is None else list(self._columns[m])

    def _column_mapper(self, i, j):
        """A ColumnMapper from member ``i``'s columns to ``j``'s, fitted on j's rows."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoSharedColumnsWarning)
            return ColumnMapper(self._keys(i), self._keys(j), fill=self.fill).fit(
                self._own[j][0]
            )

    def _mapper(self, i, j):
        """How rows of teacher ``i`` become rows of student ``j``.

        ``True`` when both see the same columns, a fitted ColumnMapper
        otherwise, ``None`` when they share no column (nothing transfers).
        """
        if (i, j) not in self._mappers:
            if self._keys(i) == self._keys(j):
                mapper = True
            else:
                mapper = self._column_mapper(i, j)
                if mapper.n_shared_ == 0:
                    warnings.warn(
                        f"Members {self._names[i]!r} and {self._names[j]!r} share "
                        f"no column, so {self._names[i]!r} teaches "
                        f"{self._names[j]!r} nothing. Give members overlapping "
                        "columns to let knowledge pass between them.",
                        NoSharedColumnsWarning,
                        stacklevel=2,
                    )
                    mapper = None
            self._mappers[(i, j)] = mapper
        return self._mappers[(i, j)]

    def _report_groups(self, y_rows):
        """Groups of a report row: one per class (one in all for regression)."""
        for label in np.unique(y_rows):
            yield label, y_rows == label

    def _collect_virtual(self, virtual, new, report, n_round):
        """Append the round's virtual rows per student, dedupe, count kept rows."""
        changed = []
        for j, blocks in enumerate(new):
            blocks = [b for b in blocks if len(b["y"])]
            if not blocks:
                continue
            old = [virtual[j]] if virtual[j] is not None else []
            merged = {
                key: (
                    mb.concat_rows([b[key] for b in old + blocks])
                    if key == "X"
                    else np.concatenate([b[key] for b in old + blocks])
                )
                for key in _VIRTUAL_KEYS
            }
            n_old = 0 if virtual[j] is None else len(virtual[j]["y"])
            if self.dedupe:
                keep = first_occurrence(merged["X"], merged["y"])
                keep[:n_old] = True  # rows kept in earlier rounds stay
                idx = np.flatnonzero(keep)
                merged = {
                    key: mb.take(val, idx) if key == "X" else val[idx]
                    for key, val in merged.items()
                }
            if len(merged["y"]) > n_old:
                changed.append(j)
            virtual[j] = merged
            fresh_teacher = merged["teacher"][n_old:]
            fresh_groups = dict(self._report_groups(merged["y"][n_old:]))
            for entry in report:
                if entry["round"] == n_round and entry["student"] == self._names[j]:
                    in_group = fresh_groups.get(entry["class"])
                    entry["kept"] = (
                        0
                        if in_group is None
                        else int(np.sum((fresh_teacher == entry["teacher"]) & in_group))
                    )
        return changed

    def _refit(self, students, virtual, changed):
        """Refit, from clones, each student that received new virtual rows."""
        jobs = []
        for j in changed:
            Xo, yo = self._own[j]
            v = virtual[j]
            X_new = mb.concat_rows([Xo, v["X"]])
            y_new = np.concatenate([yo, np.asarray(v["y"], dtype=yo.dtype)])
            jobs.append((j, X_new, y_new, self._member_fit_params(j, len(v["y"]))))
        refitted = Parallel(n_jobs=self.n_jobs)(
            delayed(mb.continue_fit)(
                self._templates[j].estimator,
                Xn,
                yn,
                self._names[j],
                getattr(self, "classes_", None),
                message=self._fit_message(self._names[j], len(yn), "Updating", j),
                fit_params=params,
            )
            if mb.is_pretrained(self._templates[j])
            else delayed(mb.fit_member)(
                self._clone_member(self._templates[j]),
                Xn,
                yn,
                self._names[j],
                message=self._fit_message(self._names[j], len(yn), "Refitting", j),
                fit_params=params,
            )
            for j, Xn, yn, params in jobs
        )
        students = list(students)
        for (j, *_), est in zip(jobs, refitted):
            students[j] = est
        return students
