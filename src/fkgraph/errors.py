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


_SECRET_PATTERNS = (
    # Authorization: Basic …, Bearer …, Digest … (the whole rest of a Digest header)
    (r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:digest\s[^\n]*|(?:basic|bearer|token|negotiate)\s+\S+|[^\s\"',;&]+)",
     r"\1***"),
    (r"(?i)\b(basic|bearer|negotiate)(\s+)[A-Za-z0-9+/=._~-]{6,}", r"\1\2***"),
    # ?apikey=…, &token=…, password=… (also in form bodies and JSON echoes)
    (r"(?i)(\b(?:api[_-]?key|access[_-]?token|auth[_-]?token|token|password|passwd|pwd|secret|client[_-]?secret)"
     r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"'#,;}]+", r"\1***"),
    # scheme://user:password@host
    (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@", r"\1***@"),
)


def redact(text: str) -> str:
    """`text` without credentials: Authorization values, apikey=/token=/password= values, user:pass@
    in URLs, and the endpoint password from the environment (plain, URL- or base64-encoded).
    Every message about an endpoint passes through here before it is shown."""
    import base64
    import os
    import re
    from urllib.parse import quote

    user, password = os.environ.get("FKGRAPH_ENDPOINT_USER", ""), os.environ.get("FKGRAPH_ENDPOINT_PASSWORD", "")
    if len(password) >= 3:
        pair = f"{user}:{password}".encode("utf-8")
        for secret in {base64.b64encode(pair).decode(), base64.b64encode(pair).decode().rstrip("="),
                       quote(password, safe=""), password}:
            text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = re.sub(pattern, replacement, text)
    return text
