"""Progress of long searches: a tqdm bar when tqdm is installed, else log lines.

tqdm is optional (the ``progress`` extra). :class:`SearchProgress` shows
rows searched, rows per second and the time left for one teacher in one
round; without tqdm (or with ``use_tqdm=False``) it writes the same figures
as log lines, at most one every ``interval`` seconds plus the last.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import time

from ._optional import is_installed

__all__ = ["SearchProgress"]


class SearchProgress:
    """Rows searched out of ``total``, shown as a bar or as log lines.

    Parameters
    ----------
    total : int
        Rows to search.
    desc : str
        What is searched (for example ``"round 1, teacher 'knn'"``).
    log : callable, default=None
        Where the log lines go (``print`` by default); unused with a bar.
    use_tqdm : bool or None, default=None
        None: a tqdm bar when tqdm is installed, else log lines.
    interval : float, default=10.0
        Seconds between two log lines (the last line is always written).
    file : file-like, default=None
        Where the bar goes (standard error by default).

    Examples
    --------
    >>> lines = []
    >>> progress = SearchProgress(200, "round 1, teacher 'a'", log=lines.append,
    ...                           use_tqdm=False, interval=0)
    >>> progress.update(50)
    >>> progress.update(200)
    >>> progress.close()
    >>> lines[-1].startswith("round 1, teacher 'a': 200 of 200 rows searched")
    True
    """

    def __init__(
        self, total, desc, *, log=None, use_tqdm=None, interval=10.0, file=None
    ):
        self.total = int(total)
        self.desc = desc
        self.log = print if log is None else log
        self.interval = float(interval)
        self.done = 0
        self.start = time.perf_counter()
        self._last_line = -float("inf")
        if use_tqdm is None:
            use_tqdm = is_installed("tqdm")
        self.bar = None
        if use_tqdm:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=self.total,
                desc=desc,
                unit="rows",
                unit_scale=True,
                leave=True,
                file=sys.stderr if file is None else file,
                dynamic_ncols=True,
            )

    def update(self, done):
        """Record that ``done`` rows (in all) are searched."""
        done = min(int(done), self.total)
        if self.bar is not None:
            self.bar.update(done - self.done)
            self.done = done
            return
        self.done = done
        now = time.perf_counter()
        if done >= self.total or now - self._last_line >= self.interval:
            self._last_line = now
            self.log(self.line(now))

    def line(self, now=None):
        """Rows searched, rows per second and the time left, as one line."""
        now = time.perf_counter() if now is None else now
        seconds = max(now - self.start, 1e-9)
        rate = self.done / seconds
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        return (
            f"{self.desc}: {self.done} of {self.total} rows searched "
            f"({rate:.0f} rows/s, {seconds:.1f}s elapsed, about {left:.0f}s left)"
        )

    def close(self):
        """Finish the bar (or write the last line if it is not written yet)."""
        if self.bar is not None:
            self.bar.close()
        elif self.done < self.total:
            self.log(self.line())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
