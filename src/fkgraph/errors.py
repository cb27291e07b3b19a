"""One error hierarchy: every error fkgraph raises on purpose says, in one line, what is wrong and
what would be valid, and carries the exit code the command line ends with."""
from __future__ import annotations


class FkgraphError(Exception):
    """An error meant for the user: `str(e)` is the line to show, `exit_code` the status to end with."""

    exit_code = 1


class DataError(FkgraphError, ValueError):
    """The data is wrong (a record, a release file, an RDF file that does not conform): exit 1."""

    exit_code = 1


class UsageError(FkgraphError, ValueError):
    """The request cannot be carried out as given (unknown name, bad value, unusable path): exit 2."""

    exit_code = 2


class BusyError(FkgraphError, RuntimeError):
    """Something else holds what is needed (another build's lock, a query past its deadline): exit 1."""

    exit_code = 1
