"""Errors and warnings of parkcarbon.

Every error is a :class:`CarbonError` and also the built-in exception a Python user would
expect (a missing key is a ``KeyError``, a unit of the wrong dimension a ``TypeError``). Input
errors carry structured :class:`Problem` records (file, row, column, value, what is accepted)
and build their message in ``__str__``, so they pickle cleanly between Dask processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "AmbiguousFactorError",
    "CarbonError",
    "CarbonWarning",
    "DecompositionWarning",
    "DuplicateRowError",
    "FactorFallbackWarning",
    "InputError",
    "InvalidQuantityError",
    "InvalidTransferError",
    "MissingColumnError",
    "MissingFactorError",
    "NotAvailableError",
    "OptionalDependencyError",
    "ParameterError",
    "Problem",
    "UnitMismatchError",
    "UnknownActivityError",
    "UnknownRegionError",
]

def one_of(values) -> str:
    """``one of {'AR4', 'AR5', 'AR6'}``, in the order given (a set's order changes per run)."""
    return "one of {" + ", ".join(repr(v) for v in values) + "}"


#: How many problems an error message lists before it summarises the rest.
SHOWN_PROBLEMS = 10


@dataclass(frozen=True)
class Problem:
    """One bad cell (or row) of an input table.

    ``row`` is the row number a spreadsheet shows: the header is row 1, the first record row 2.
    """

    kind: str
    reason: str
    file: str = "<table>"
    row: int | None = None
    column: str | None = None
    value: object = None
    accepted: str = ""
    rows: tuple[int, ...] = field(default=())

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: {self.reason}"
        if self.value is not None:
            text += f" (value {self.value!r})"
        if self.accepted:
            text += f". Accepted: {self.accepted}"
        return text


class CarbonError(Exception):
    """Base class of every error raised by parkcarbon."""


class ParameterError(ValueError, CarbonError):
    """A bad argument to a public function, worded as scikit-learn words it."""

    def __init__(self, parameter: str, function: str, accepted: str, got: object):
        super().__init__(parameter, function, accepted, got)
        self.parameter, self.function, self.accepted, self.got = parameter, function, accepted, got

    def __str__(self) -> str:
        return (
            f"The {self.parameter!r} parameter of {self.function} must be {self.accepted}. "
            f"Got {self.got!r} instead."
        )


class NotAvailableError(CarbonError, LookupError):
    """A result this inventory cannot give (the per-row ledger of a partitioned inventory)."""


class OptionalDependencyError(CarbonError, ImportError):
    """A feature needs a package that is an optional extra of parkcarbon (Dask, say)."""

    def __init__(self, package: str, feature: str, extra: str):
        super().__init__(package, feature, extra)
        self.package, self.feature, self.extra = package, feature, extra

    def __str__(self) -> str:
        return (f"{self.feature} needs {self.package}, which is not installed. Install it with: "
                f"python3 -m pip install 'parkcarbon[{self.extra}]'")

    def __reduce__(self):
        return (type(self), (self.package, self.feature, self.extra))


class InputError(CarbonError, ValueError):
    """Bad input rows; ``problems`` lists every bad cell found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        problems = tuple(problems)
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems[:SHOWN_PROBLEMS]]
        hidden = len(self.problems) - SHOWN_PROBLEMS
        if hidden > 0:
            lines.append(f"... and {hidden} more problem(s) of the same input")
        return "\n".join(lines)

    def __reduce__(self):
        return (type(self), (self.problems,))


class MissingColumnError(InputError, KeyError):
    """A required column is absent."""

    __str__ = InputError.__str__


class UnknownActivityError(InputError, KeyError):
    """An activity that is neither a library key nor an alias."""

    __str__ = InputError.__str__


class UnknownRegionError(InputError, KeyError):
    """A region code the library does not know."""

    __str__ = InputError.__str__


class UnitMismatchError(InputError, TypeError):
    """A unit that pint does not know, or whose dimension does not fit the activity."""

    __str__ = InputError.__str__


class InvalidQuantityError(InputError):
    """A negative, missing or non-numeric quantity (or year, month, uncertainty)."""


class DuplicateRowError(InputError):
    """A row equal to an earlier row in every identifying column and the quantity."""


class InvalidTransferError(InputError):
    """An intra-park transfer that cannot be netted (unknown party, more than was bought)."""


class MissingFactorError(InputError, KeyError):
    """No factor for an activity, parameter, region and year: never silently zero."""

    __str__ = InputError.__str__


class AmbiguousFactorError(InputError):
    """Two equally specific factor rows for the same activity, parameter, region and year."""


class CarbonWarning(UserWarning):
    """Base class of parkcarbon's warnings."""


class DecompositionWarning(CarbonWarning):
    """An assumption the decomposition had to make, such as value added held constant."""


class FactorFallbackWarning(CarbonWarning):
    """A factor of an earlier year or a wider region was used; the inventory records which."""
