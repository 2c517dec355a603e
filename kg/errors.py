"""Errors the library raises, and the warnings it issues. The CLI prints them as
``Error: <message>`` and ``Warning: <message>``.

Every message names the file, term or line at fault and the next step to take.
"""


class KgError(Exception):
    """Base class of every error kg reports to a user."""


class StoreError(KgError):
    """The store cannot be read, written or locked."""

    # A fault that may pass (a dropped connection, a timeout, a 502/503/504): worth repeating a
    # query for, never an update (kg.stores.sparql_client).
    transient: bool = False


class ParseError(StoreError):
    """An RDF file does not parse; the message names the file and line."""


class TermError(KgError):
    """An IRI, prefixed name, class or property is malformed or unknown."""


class ValueFormatError(KgError):
    """A literal value (number, date, weight) is malformed or out of range."""


class ValidationError(KgError):
    """A change would leave the graph invalid; nothing was written."""

    def __init__(self, message: str, report: "object | None" = None) -> None:
        super().__init__(message)
        self.report = report


class QueryError(KgError):
    """A SPARQL query is unknown, malformed, refused or given bad parameters."""


class QueryTimeoutError(QueryError):
    """A query ran past its time limit and was abandoned."""


class NotFoundError(KgError):
    """The entity or link named does not exist in the store."""


class KgWarning(UserWarning):
    """Something a user probably did not mean, that does not stop the command: a name in a
    query that matches nothing in the store."""
