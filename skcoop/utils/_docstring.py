"""Shared docstring fragments, written once and substituted into docstrings."""

# SPDX-License-Identifier: BSD-3-Clause

__all__ = ["Substitution"]


class Substitution:
    """Decorator that fills ``{name}`` fields of a docstring.

    The docstring is formatted with :meth:`str.format`, so literal braces in
    it must be doubled (``{{"auto", "mad"}}``). A docstring of None (Python
    run with ``-OO``) is left as it is.

    Parameters
    ----------
    **params : str
        Text for each ``{name}`` field.

    Examples
    --------
    >>> from skcoop.utils import Substitution
    >>> @Substitution(seed="seed : int\\n    Seeds the draws.")
    ... def draw(seed):
    ...     '''Draw.
    ...
    ...     Parameters
    ...     ----------
    ...     {seed}
    ...     '''
    >>> print(draw.__doc__.splitlines()[4])
        seed : int
    """

    def __init__(self, **params):
        self.params = params

    def __call__(self, obj):
        if obj.__doc__:
            try:
                obj.__doc__ = obj.__doc__.format(**self.params)
            except (KeyError, IndexError) as exc:
                raise ValueError(
                    f"The docstring of {getattr(obj, '__qualname__', obj)!r} has "
                    f"the field {exc} that Substitution was not given (given: "
                    f"{sorted(self.params)}). Pass it, or double the braces "
                    "of literal text."
                ) from None
        return obj
