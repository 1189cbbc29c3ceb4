"""The student's half of cooperative distillation, at the student's site.

The virtual rows a student received are written in its own columns (a
column its teacher lacks is filled from its own rows), duplicates are dropped
(rows kept in earlier rounds stay), and the student is refitted from a clone,
or a pre-trained member goes on learning. The in-process ensemble
(``_rounds.py``) and :func:`skcoop.silo.learn` call these functions; the
teacher's half is in ``_teach.py``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
from sklearn.base import clone

from ._records import KeptEntry, VirtualBatch
from ._steps import first_occurrence
from .utils import (
    RowsLesson,
    checked_weight_kwargs,
    concat_rows,
    cooled,
    in_dtype_of,
    is_per_row,
    is_pretrained,
    learn_lesson,
    warm_student,
    with_classes,
)
from .views import ColumnMapper, NoSharedColumnsWarning

__all__ = []


def column_mapper(from_keys, to_keys, fill, X_to):
    """A :class:`~skcoop.views.ColumnMapper` fitted on the receiving side's rows.

    Its warning that two members share no column is silenced: the teacher's
    side warns once, naming the two members.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoSharedColumnsWarning)
        return ColumnMapper(list(from_keys), list(to_keys), fill=fill).fit(X_to)


def receive(lessons, student_keys, X_own, fill):
    """Virtual rows of each lesson written in the student's own columns.

    Columns the teacher lacks are filled from the student's own rows
    (:class:`~skcoop.views.ColumnMapper`); array rows take the dtype of the
    student's rows (a float32 net keeps float32 rows).
    """
    blocks = []
    for lesson in lessons:
        if lesson.X is None or len(lesson.y) == 0:
            continue
        Xv = lesson.X
        if list(lesson.keys) != list(student_keys):
            Xv = column_mapper(lesson.keys, student_keys, fill, X_own).transform(Xv)
        Xv = in_dtype_of(Xv, X_own)
        blocks.append(
            VirtualBatch(
                student=lesson.student,
                X=Xv,
                y=np.asarray(lesson.y),
                teacher=np.full(len(lesson.y), lesson.teacher, dtype=object),
                source_index=(
                    np.full(len(lesson.y), -1)
                    if lesson.source is None
                    else np.asarray(lesson.source)
                ),
                round=np.full(len(lesson.y), lesson.n_round),
            )
        )
    return blocks


def merge_virtual(previous, blocks, dedupe):
    """Append a round's virtual rows to a student's, dropping duplicates.

    Rows kept in earlier rounds stay. Returns the merged
    :class:`~skcoop._records.VirtualBatch` and the number of rows it held
    before.
    """
    n_old = 0 if previous is None else len(previous)
    if not blocks:
        return previous, n_old
    merged = VirtualBatch.concat(([] if previous is None else [previous]) + blocks)
    if dedupe:
        keep = first_occurrence(merged.X, merged.y)
        keep[:n_old] = True
        merged = merged.take(np.flatnonzero(keep))
    return merged, n_old


def kept_entries(store, n_old, judge, n_round):
    """What the student kept of the fresh rows of ``store``, per teacher and group.

    One :class:`~skcoop._records.KeptEntry` per teacher among the fresh
    rows and report group (``judge.groups``).
    """
    if store is None:
        return []
    teachers = store.teacher[n_old:]
    entries = []
    for label, in_group in judge.groups(store.y[n_old:]):
        for name in np.unique(teachers):
            entries.append(
                KeptEntry(
                    round=n_round,
                    teacher=name,
                    student=store.student,
                    group=label,
                    kept=int(np.sum((teachers == name) & in_group)),
                )
            )
    return entries


def student_fit_params(
    name, template, params, n_own, n_virtual, settings, weights_routed
):
    """Fit keyword arguments of a student, its virtual rows appended."""
    params = dict(params)
    sw = params.pop("sample_weight", None)
    if not n_virtual:
        weights = sw
    elif sw is None and settings.virtual_weight == 1:
        weights = None
    else:
        own = np.ones(n_own) if sw is None else np.asarray(sw, dtype=float)
        weights = np.concatenate(
            [own, np.full(n_virtual, float(settings.virtual_weight))]
        )
    for key, val in params.items():
        if n_virtual and is_per_row(val, n_own):
            raise ValueError(
                f"Member {name!r} requests the per-row fit metadata {key!r}, "
                "which virtual instances do not have. Only sample_weight can be "
                f"extended to virtual rows; stop routing {key!r} to this member, "
                "or set n_rounds=0."
            )
    if weights is None:
        return params
    if weights_routed:
        if sw is None and n_virtual:
            raise TypeError(
                f"virtual_weight={settings.virtual_weight} needs sample weights, "
                f"but member {name!r} does not request sample_weight under "
                "metadata routing. Call set_fit_request(sample_weight=True) on "
                "it, or use virtual_weight=1."
            )
        params["sample_weight"] = weights
        return params
    kw = checked_weight_kwargs(
        template,
        weights,
        f"Member {name!r} ({type(template).__name__})",
        "Use a member whose fit takes sample_weight, or pass no weights and "
        "virtual_weight=1.",
        given=" (user weights, or virtual_weight != 1)",
    )
    if kw is None:
        return params
    params.update(kw)
    return params


def learn(
    name,
    template,
    X_own,
    y_own,
    store,
    *,
    params,
    settings,
    classes,
    weights_routed,
    message=None,
    fitted=None,
):
    """Refit a student from a clone (or continue it) on own + virtual rows.

    The lesson of cooperative distillation: the student's own rows and its
    virtual rows (:class:`~skcoop.utils.RowsLesson`), learnt through the one
    refit of every strategy, :func:`~skcoop.utils.learn_lesson`. With
    ``settings.warm_refit``, a student whose learner can start from its
    fitted state (``fitted``: the student of the previous round, or the
    member fitted on its own rows) does so
    (:func:`~skcoop.utils._warm.warm_student`); its parameters are the
    template's again afterwards. ``fitted`` is never modified.
    """
    n_virtual = 0 if store is None else len(store)
    X_new = X_own if not n_virtual else concat_rows([X_own, store.X])
    if not n_virtual:
        y_new = y_own
    elif classes is None and np.asarray(store.y).dtype.kind == "f":
        # a regressor's guarded rows carry the teacher's values: integer
        # targets must not truncate them
        y_new = np.concatenate([y_own, np.asarray(store.y)])
    else:
        y_new = np.concatenate([y_own, np.asarray(store.y, dtype=y_own.dtype)])
    fit_params = student_fit_params(
        name, template, params, len(y_own), n_virtual, settings, weights_routed
    )
    lesson = RowsLesson(X_new, y_new, fit_params)
    if is_pretrained(template):
        fitted = template.estimator
        return learn_lesson(
            name, fitted, fitted, lesson, resume=True, pretrained=True, message=message
        )
    if classes is not None:
        template = with_classes(clone(template), classes)
    warm = None
    if settings.warm_refit and n_virtual:
        warm = warm_student(template, fitted, lesson.classes, np.shape(X_new)[1])
    student = learn_lesson(
        name, template, None, lesson, resume=False, message=message, warm=warm
    )
    return student if warm is None else cooled(student, template)
