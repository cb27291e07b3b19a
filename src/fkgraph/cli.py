"""The `fkgraph` command line: each command is a thin call into the Python API.

Errors become one line on stderr and an exit code: 1 for data that is invalid or does not
conform, 2 for usage errors (unknown query, bad parameter, unreadable input).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import math
import os
import re
import sys

import click

from fkgraph import api
from fkgraph.config import DEFAULT_BASE
from fkgraph.sparql.results import FORMATS, GRAPH_FORMATS as RDF_FORMATS


class Fail(click.ClickException):
    """One line on stderr, a chosen exit code, never a traceback."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None) -> None:
        # One line, whatever the message holds (a library's multi-line parser error included),
        # and never a credential (an endpoint may echo them).
        from fkgraph.errors import redact

        click.echo(f"fkgraph: {shorten(redact(' '.join(self.format_message().split())))}", err=True)


_QUOTED = re.compile(r"'(?:[^'\\]|\\.){120,}?'" + r'|"(?:[^"\\]|\\.){120,}?"')
LINE_LIMIT = 2000


def shorten(line: str) -> str:
    """A message never prints an unbounded value: a quoted value over 120 characters keeps its
    first 100 and its length; the whole line keeps its first LINE_LIMIT characters."""
    def cut(m):
        q, inner = m.group(0)[0], m.group(0)[1:-1]
        return inner and f"{q}{inner[:100]}…{q} ({len(inner)} characters)"
    line = _QUOTED.sub(cut, line)
    return line if len(line) <= LINE_LIMIT else line[:LINE_LIMIT] + "…"


class Seconds(click.ParamType):
    """A timeout: a finite number of seconds, more than 0 and at most a week (nan, inf, 1e400 refused)."""

    name = "seconds"
    MAX = 7 * 24 * 3600

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not 0 < number <= self.MAX:
            raise Fail(f"--{param.name if param else 'timeout'} {str(value)[:40]!r}: give a number of seconds "
                       f"more than 0 and at most {self.MAX} (a week), e.g. 30", 2)
        return number


def handled(fn):
    """Map the library's exceptions to one-line errors with the right exit code; a standard
    output that cannot be written (a full device, a closed pipe) is one of them."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:
            if isinstance(e, OSError) and e.filename is None and _writing_stdout(e):
                e.filename = "standard output"
                _quiet_stdout()
            raise _failure(e) from None
        broken = _flush_stdout()
        if broken is not None:
            broken.filename = "standard output"
            raise _failure(broken) from None
        return result
    return wrapper


def _flush_stdout() -> OSError | None:
    """Flush standard output; if that fails, return the error (standard output then goes to /dev/null)."""
    try:
        sys.stdout.flush()
        return None
    except OSError as e:
        _quiet_stdout()
        return e


def _quiet_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's flush at exit cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)


def _writing_stdout(e: OSError) -> bool:
    """Whether `e` came from a write to file descriptor 1 (click.echo's `file`, a `stream`…)."""
    tb = e.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            with contextlib.suppress(Exception):
                if hasattr(value, "fileno") and value.fileno() == 1:
                    return True
        tb = tb.tb_next
    return False


_OS_HINTS = {errno.ENOSPC: "the device is full; free some space or write elsewhere",
             errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere",
             errno.EROFS: "the file system is read-only; write elsewhere",
             errno.EACCES: "write elsewhere, or change the permissions",
             errno.EPERM: "write elsewhere, or change the permissions",
             errno.EPIPE: "the reading end was closed",
             errno.EFBIG: "the file is too large for this file system",
             errno.EISDIR: "give a file name, not a folder",
             errno.ENOTDIR: "a part of the path is a file, not a folder"}


def _os_line(e: OSError) -> str:
    """One line for a failed read or write: the path, what the system said, what to do."""
    where = e.filename if e.filename is not None else "a file"
    hint = _OS_HINTS.get(e.errno, "")
    return f"{where}: {e.strerror or type(e).__name__}" + (f"; {hint}" if hint else "")


def _failure(e: Exception) -> Exception:
    """The Fail for a library exception: every FkgraphError carries its one line and exit code."""
    from fkgraph.errors import FkgraphError
    from fkgraph.model.citations import CitationError

    if isinstance(e, api.BuildError):
        click.echo(e.report.text(), err=True)
    if len(getattr(e, "errors", ())) > 1:  # every record error, each on its own line
        for x in e.errors[:-1]:
            click.echo(f"fkgraph: {x}", err=True)
        return Fail(str(e.errors[-1]), e.exit_code)
    if isinstance(e, FkgraphError):
        return Fail(f"citation: {e}" if isinstance(e, CitationError) else str(e), e.exit_code)
    if isinstance(e, FileNotFoundError):
        return Fail(str(e), 2)
    if isinstance(e, OSError) and e.errno is not None and (e.filename is not None or e.errno in _OS_HINTS):
        return Fail(_os_line(e), 1)
    if os.environ.get("FKGRAPH_DEBUG"):
        return e  # a bug, with its traceback
    return Fail(f"internal error: {type(e).__name__}: {e} (set FKGRAPH_DEBUG=1 for the traceback)", 1)


class Options:
    """The group's options; the settings are built once, when a command first needs them."""

    def __init__(self, home: str | None, base: str) -> None:
        self.home, self.base, self._settings = home, base, None

    @property
    def settings(self):
        if self._settings is None:
            from fkgraph import config

            self._settings = config.settings(home=self.home, base=self.base)
        return self._settings


def default_format(fmt: str | None) -> str:
    return fmt or ("table" if sys.stdout.isatty() else "csv")


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """`-p NAME=VALUE` pairs; a name given twice is a usage error (each parameter takes one value)."""
    from fkgraph.sparql.binding import single_values

    split = []
    for pair in pairs:
        if "=" not in pair:
            raise Fail(f"--param {pair!r}: write NAME=VALUE, e.g. -p statute=LAB", 2)
        k, v = pair.split("=", 1)
        split.append((k.strip(), v))
    return single_values(split)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--home", envvar="FKGRAPH_HOME", type=click.Path(file_okay=False),
              help="Folder with data/ (and optionally its own ontology/ and queries/; else the packaged "
                   "ones). Default: the current folder if it has data/, else this checkout.")
@click.option("--base", default=DEFAULT_BASE, show_default=True,
              help="Base of every minted IRI: an http(s) IRI ending in / or #.")
@click.option("--verbose", "-v", is_flag=True, help="Say on standard error which data/, ontology/ and queries/ are used.")
@click.version_option(package_name="fkgraph")
@click.pass_context
def cli(ctx, home, base, verbose):
    """fkgraph: Danish free-municipality trials and the laws they set aside, as linked data.

    \b
    Start here:
      fkgraph query most-exempted-statutes     which acts were set aside most
      fkgraph queries                          the catalogue of stored questions
      fkgraph build                            validate and write dist/fkgraph.ttl
      fkgraph cite "servicelovens § 52, stk. 3"
    """
    ctx.obj = Options(home, base)
    if verbose:
        try:
            click.echo(f"fkgraph: {ctx.obj.settings.describe()}", err=True)
        except Exception:  # the command itself reports a bad home, once
            ctx.obj._settings = None


@cli.command()
@click.option("--output", "-o", default="dist", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write fkgraph.ttl into.")
@click.pass_obj
@handled
def build(obj, output):
    """Load data/, build the graph, validate it, write OUTPUT/fkgraph.ttl.

    Nothing is written when a record is invalid or the graph does not conform.

    Example: fkgraph build --output dist
    """
    with slow_step("building and validating") as step:
        built, report, path = api.build_to(output, obj.settings, progress=step.progress)
    click.echo(f"{path}: {len(built)} triples, {len(built.records.trials)} trials; conforms", err=True)


REPORT_FORMATS = ["text", "lines", "turtle", "json", "junit", "github", "sarif"]
REPORT_HELP = ("text: grouped by shape, for people; lines: one file:line: message per problem; turtle: a "
               "SHACL sh:ValidationReport; json; junit: JUnit XML, one test case per shape; github: "
               "workflow commands that annotate the pull request; sarif: SARIF 2.1.0 for code scanning.")


def _write_report(report, fmt: str, output: str | None) -> None:
    """The report on standard output or, atomically, in OUTPUT; exit 1 unless it conforms."""
    text = report.render(fmt)
    if output:
        from fkgraph.fsio import write_bytes
        write_bytes(output, (text if text.endswith("\n") else text + "\n").encode("utf-8"))
    else:
        click.echo(text, nl=not text.endswith("\n"))
    if not report.conforms:
        sys.exit(1)


def _read_rdf(files):
    """RDF files (format from the extension, .gz read through gzip) in a fresh store; exit 2 when unreadable."""
    from fkgraph.rdf.store import from_files

    try:
        return from_files(files)
    except (SyntaxError, ValueError, OSError) as e:
        raise Fail(f"cannot read RDF: {e}", 2) from None


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "-f", "fmt", type=click.Choice(REPORT_FORMATS), default="text", show_default=True,
              help=REPORT_HELP)
@click.option("--engine", type=click.Choice(["pyshacl", "fast"]), default="pyshacl", show_default=True,
              help="pyshacl (the reference) or fast (the `shacl` package, extra `fast`; same results, "
                   "much faster on large graphs).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file (atomically) instead of standard output; written also "
                   "when the records do not load.")
@click.option("--allow-empty", is_flag=True,
              help="Accept data that holds no resource the shapes target (otherwise exit 1: nothing was checked).")
@click.pass_obj
@handled
def validate(obj, files, fmt, engine, output, allow_empty):
    """Validate the data (built in memory) or the given RDF FILES against the shapes.

    FILES may be Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML, each optionally gzipped.
    Exit 0 when the graph conforms, 1 when it does not (or holds nothing to check), 2 when an
    input cannot be read.

    \b
    Examples:
      fkgraph validate                          the data in data/, report grouped by shape
      fkgraph validate dump/fkgraph.nt.gz
      fkgraph validate --format junit -o reports/shapes.xml
    """
    with slow_step(f"validating with the {engine} engine") as step:
        report = api.validate(list(files) or None, home=obj.settings, engine=engine, progress=step.progress,
                              allow_empty=allow_empty)
    _write_report(report, fmt, output)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(REPORT_FORMATS), default="lines", show_default=True,
              help=REPORT_HELP)
@click.option("--engine", type=click.Choice(["pyshacl", "fast"]), default="pyshacl", show_default=True,
              help="The SHACL engine (see validate).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file (atomically); written whatever the outcome.")
@click.pass_obj
@handled
def check(obj, fmt, engine, output):
    """Check the records (JSON Schema and cross-references), build, and validate the shapes.

    Every problem is one line, `file:line: message`, on the line of the data file to change;
    exit 1 if there is any. This is what the pre-commit hook and CI run.

    \b
    Examples:
      fkgraph check
      fkgraph check --format github             annotations in a GitHub pull request
      fkgraph check --format sarif -o fkgraph.sarif
    """
    with slow_step("checking") as step:
        report = api.check(obj.settings, engine=engine, progress=step.progress)
    _write_report(report, fmt, output)


@cli.command()
@click.option("--output", "-o", default="dist/ontology", show_default=True, type=click.Path(file_okay=False),
              help="Folder for index.html, with fk.ttl and shapes.ttl beside it.")
@click.pass_obj
@handled
def docs(obj, output):
    """Write HTML documentation of the ontology and its shapes to OUTPUT/index.html.

    Danish and English side by side. Exit 1 when the ontology has gaps the page cannot cover
    (a term without a label or definition in either language, a link to an undeclared fk: term).

    Example: fkgraph docs --output dist/ontology
    """
    from fkgraph.publishing.ontodocs import DocsError

    try:
        result = api.docs(output, home=obj.settings)
    except DocsError as e:
        raise Fail(str(e), 2) from None
    for w in result.warnings:
        click.echo(f"fkgraph docs: warning: {w}", err=True)
    if result.warnings:
        raise Fail(f"{len(result.warnings)} warning(s): the ontology documentation is incomplete", 1)
    click.echo(f"{output}/index.html: ontology documentation written", err=True)


@cli.command(context_settings={"help_option_names": []})
@click.argument("name", required=False)
@click.option("--help", "-h", "show_help", is_flag=True,
              help="Show this message; after NAME, show that query's description and parameters.")
@click.option("--sparql", metavar="TEXT", help="Run this SPARQL text instead of a stored query.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; once per name. Names, codes, citations and IRIs are accepted.")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS + RDF_FORMATS),
              help="Rows (SELECT, ASK): table, csv, … (default: table on a terminal, csv in a pipe); "
                   "a graph (CONSTRUCT, DESCRIBE): turtle, … (default turtle). Default: from --output's extension.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), metavar="FILE",
              help="Write the answer to FILE (atomically) instead of standard output (-).")
@click.option("--endpoint", metavar="URL", help="Run on this SPARQL 1.1 endpoint instead of the embedded store, "
              "e.g. http://127.0.0.1:7878/query (credentials: $FKGRAPH_ENDPOINT_USER/_PASSWORD or ~/.netrc).")
@click.option("--graph", metavar="IRI", help="With --endpoint: the named graph to query (default: the default graph).")
@click.option("--timeout", type=Seconds(), metavar="S",
              help="Stop the query after S seconds (embedded: no limit by default; --endpoint: default 60).")
@click.pass_obj
@handled
def query(obj, name, params, fmt, output=None, sparql=None, endpoint=None, graph=None, timeout=None, show_help=False):
    """Run a stored query by NAME (see `fkgraph queries`), a .rq FILE, - (standard input) or --sparql TEXT.

    Builds the graph from data/ in memory: no server and no prior build needed. With
    --endpoint the same query text runs on a SPARQL 1.1 endpoint instead. SELECT and ASK give
    rows (ASK one `result` column); CONSTRUCT and DESCRIBE give RDF in any export format.

    \b
    Example: fkgraph query most-exempted-statutes -p network=4 --format csv
             fkgraph query trials-exempting --help     (one query's parameters)
             fkgraph query --sparql 'DESCRIBE <https://w3id.org/fkgraph/id/statute/lab>' -f ntriples
    """
    if show_help or not (name or sparql):
        if not (name or sparql):
            click.echo(click.get_current_context().get_help())
            if not show_help:
                raise Fail("give a query NAME, a .rq FILE, - or --sparql TEXT; list them with `fkgraph queries`", 2)
            return
        from fkgraph.sparql.catalogue import describe, find
        click.echo(describe(find(name, obj.settings.queries_dir)), nl=False)
        return
    if name and sparql:
        raise Fail(f"give either a query ({name}) or --sparql TEXT, not both", 2)
    q = _query_of(name, sparql, obj.settings.queries_dir)
    values = parse_params(params)
    implied = answer_format(output, fmt)
    if endpoint:
        from fkgraph.sparql import remote
        answer = remote.query(q, endpoint, values, home=obj.settings, graph=graph, timeout=timeout)
    else:
        if graph:
            raise Fail("--graph applies to a remote query: add --endpoint URL", 2)
        answer = api.query(q, values, built=api.build(obj.settings), home=obj.settings, timeout=timeout)
    write_answer(answer, implied, output, display_prefixes(obj.settings.base))


def _query_of(name: str | None, sparql: str | None, queries_dir):
    """The Query to run: --sparql text, standard input (-), a .rq file or a stored name."""
    from fkgraph.sparql import catalogue

    if sparql is not None:
        return catalogue.from_text(sparql, "sparql")
    if name == "-":
        return catalogue.from_text(sys.stdin.read(), "stdin")
    return catalogue.find(name, queries_dir)


def answer_format(output: str | None, fmt: str | None) -> str | None:
    from fkgraph.sparql.results import output_format
    return fmt if not output or output == "-" else output_format(output, fmt)


def write_answer(answer, fmt: str | None, output: str | None, prefixes: dict[str, str] | None = None) -> None:
    """Rows in a tabular format, a graph in an RDF format, to standard output or a file."""
    from fkgraph.sparql.results import encode

    to_stdout = not output or output == "-"
    tty = to_stdout and sys.stdout.isatty()
    data = encode(answer, fmt, default="table" if tty else "csv", width=shutil_width() if tty else None,
                  prefixes=prefixes)
    if not to_stdout:
        from fkgraph.fsio import gzip_bytes, write_bytes
        write_bytes(output, gzip_bytes(data) if output.endswith(".gz") else data)
        return
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except OSError as e:
        e.filename = "standard output"
        _quiet_stdout()
        raise


def display_prefixes(base: str) -> dict[str, str]:
    """The project's prefixes and `id:` for the data's own IRIs, for terminal tables."""
    from fkgraph.rdf.terms import PREFIXES
    return {**PREFIXES, "id": base + "id/"}


def shutil_width() -> int:
    import shutil
    return shutil.get_terminal_size().columns


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS))
@click.pass_obj
@handled
def queries(obj, fmt):
    """List the stored queries: name, summary, parameters."""
    from fkgraph.sparql.catalogue import catalogue
    from fkgraph.sparql.results import Rows, render

    rows, broken = [], []
    for q in catalogue(obj.settings.queries_dir, broken).values():
        params = ", ".join(f"{p.name}{'' if p.required else '?'}" + (f"={p.default}" if p.default else "") for p in q.params)
        rows.append([q.name, q.summary, params])
    click.echo(render(Rows(["name", "summary", "parameters"], rows), default_format(fmt)), nl=False)
    if broken:  # the good ones are listed; each broken file gets its line, and the exit status says so
        for e in broken[:-1]:
            click.echo(f"fkgraph: {' '.join(str(e).split())}", err=True)
        raise Fail(str(broken[-1]), 1)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(list(RDF_FORMATS)), default=None,
              help="Default: from the output file's extension (.ttl, .nt, .jsonld, .rdf, .nq, .trig, each "
                   "optionally .gz); Turtle on standard output. An extension that says otherwise is refused.")
@click.option("--output", "-o", required=True, type=click.Path(allow_dash=True),
              help="File to write; a folder (or a name ending in /) receives fkgraph.EXT; - writes to standard output.")
@click.option("--gzip", "gz", is_flag=True, default=None,
              help="gzip the file (deterministic: no name, mtime 0); adds .gz to the name. Default: when OUTPUT ends in .gz.")
@click.pass_obj
@handled
def export(obj, fmt, output, gz):
    """Write the graph to a file, atomically (a temporary file renamed into place), or to standard output.

    Output is sorted and byte-identical for the same data (Turtle grouped by subject with
    prefixes, N-Triples one sorted line per triple, JSON-LD flattened with its context inline).
    For the dumps together with DCAT-AP and VoID descriptions, see `fkgraph publish`.

    \b
    Example: fkgraph export --format ntriples --output dist/fkgraph.nt
             fkgraph export --output dist/fkgraph.jsonld --gzip
             fkgraph export --format rdfxml -o - | rapper -i rdfxml -c -
    """
    from fkgraph.rdf.serialize import export as write, serialize

    if output != "-":
        from fkgraph.rdf.serialize import check_format, output_file
        output = str(output_file(output, fmt))
        fmt = check_format(output, fmt)  # before the build: a contradiction fails at once
    with slow_step("building and writing") as step:
        built = api.build(obj.settings, progress=step.progress)
        if step.progress:
            step.progress("writing", 0, 1)
        if output == "-":
            from fkgraph.fsio import gzip_bytes

            data = serialize(built.store, fmt or "turtle")
            try:
                sys.stdout.buffer.write(gzip_bytes(data) if gz else data)
                sys.stdout.flush()
            except OSError as e:
                e.filename = "standard output"
                raise
            return
        path = write(built.store, output, fmt, gz)
    click.echo(f"{path}: {len(built)} triples", err=True)


@cli.command()
@click.argument("text")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS))
@click.pass_obj
@handled
def cite(obj, text, fmt):
    """Parse a Danish legal citation into atomic provisions; TEXT '-' reads standard input.

    Example: fkgraph cite "Fritagelse fra LAB § 48 stk. 1, § 73 i bekendtgørelse om en aktiv beskæftigelsesindsats"
    """
    from fkgraph.sparql.results import Rows, render

    if text == "-":
        text = sys.stdin.read()
    found = api.cite(text, obj.settings)
    columns = ["statute", "provision", "iri", "note"]
    click.echo(render(Rows(columns, [[r[c] for c in columns] for r in found]), default_format(fmt)), nl=False)


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--endpoint", required=True, metavar="URL",
              help="The SPARQL query endpoint, e.g. http://127.0.0.1:7878/query (used for the count check).")
@click.option("--store", metavar="URL", help="The Graph Store Protocol endpoint (default: Oxigraph's, "
              "…/query → …/store; Fuseki: …/DATASET/data; GraphDB: …/repositories/ID/rdf-graphs/service).")
@click.option("--graph", metavar="IRI", help="The named graph to write (default: the store's default graph).")
@click.option("--replace", is_flag=True, help="Replace the graph (PUT the first chunk, POST the rest); "
              "default: add to it (POST).")
@click.option("--chunk", type=click.IntRange(min=1), default=50_000, show_default=True, metavar="N",
              help="Triples per request.")
@click.option("--timeout", type=Seconds(), default=60, show_default=True, metavar="S",
              help="Seconds to wait for each request.")
@click.option("--no-validate", is_flag=True, help="Skip the SHACL check (when `fkgraph build` just ran it).")
@click.pass_obj
@handled
def push(obj, files, endpoint, store, graph, replace, chunk, timeout, no_validate):
    """Upload the built, validated graph (or the RDF FILES, .gz read through gzip) to a SPARQL 1.1
    store, then check its triple count.

    Credentials come from $FKGRAPH_ENDPOINT_USER and $FKGRAPH_ENDPOINT_PASSWORD or ~/.netrc,
    never from the command line.

    Example: fkgraph push --endpoint http://127.0.0.1:7878/query --graph https://w3id.org/fkgraph/graph --replace
    """
    from fkgraph.sparql import remote as remote, upload

    target = remote.Endpoint(endpoint, store=store, graph=graph, timeout=timeout)
    if files:
        source = _read_rdf(files)
        if not no_validate and not api.validate(source, home=obj.settings).conforms:
            raise Fail(f"{' '.join(files)}: does not conform to the shapes (see `fkgraph validate FILE`); "
                       f"nothing was sent", 1)
    else:
        source = api.publishable(obj.settings, validate=not no_validate).store
    total = len(source)
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="pushing", file=sys.stderr) as bar:
            result = upload.push(source, target, replace=replace, chunk_size=chunk, progress=bar.update)
    else:
        result = upload.push(source, target, replace=replace, chunk_size=chunk)
    where = f"graph <{result.graph}>" if result.graph else "the default graph"
    click.echo(f"{result.endpoint}: sent {result.triples} triples in {result.chunks} request(s) "
               f"({result.seconds:.1f} s); {where} now holds {result.count}", err=True)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="0 picks a free port.")
@click.option("--bind", "host", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="Address to listen on; a non-loopback address needs --public.")
@click.option("--public", is_flag=True, help="Allow a non-loopback --bind (anyone who reaches it can query).")
@click.option("--writable", is_flag=True, help="Accept SPARQL UPDATE and Graph Store writes (default: read-only).")
@click.option("--location", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep the Oxigraph store in DIR (new or empty; default: a temporary directory).")
@click.option("--timeout", type=Seconds(), default=60, show_default=True, metavar="S",
              help="Stop any query on /query or /api after S seconds (/api answers 503).")
@click.option("--no-validate", is_flag=True, help="Skip the SHACL check (when `fkgraph build` just ran it).")
@click.pass_obj
@handled
def serve(obj, port, host, public, writable, location, timeout, no_validate):
    """Serve the built, validated graph on one port until Ctrl-C: the SPARQL endpoint at /query
    (the `oxigraph` server), the stored queries as a web API at /api/{query}[.csv|.json|…]
    (described at /api/openapi.json) and the static site at /.

    Read-only and on 127.0.0.1 by default. Prints the query URL on standard output. Needs the
    extra `serve` (pip install 'fkgraph[serve]').

    \b
    Example: fkgraph serve --port 7878   then   fkgraph query NAME --endpoint http://127.0.0.1:7878/query
             curl 'http://127.0.0.1:7878/api/most-exempted-statutes.csv?network=4'
    """
    def ready(srv, triples):
        mode = "read-write" if writable else "read-only"
        click.echo(f"fkgraph: serving {triples} triples, {mode}, until Ctrl-C; web API at {srv.base}/api/", err=True)
        click.echo(srv.url)
        sys.stdout.flush()

    status = api.serve(host, port, obj.settings, public=public, writable=writable, location=location,
                       timeout=timeout, validate=not no_validate, on_ready=ready)
    if status:
        raise Fail(f"the oxigraph server stopped with status {status}", 1)
    click.echo("fkgraph: server stopped", err=True)


_SITE_URL_HELP = ("Public URL the files are served from, used in dcat.ttl, void.ttl and the rewrite rules "
                  "(default: the IRI base, which w3id redirects to the site).")


def publishing_options(fn):
    """The options `publish` and `site` share."""
    for option in reversed([
        click.option("--base", "base_url", metavar="URL", help=_SITE_URL_HELP),
        click.option("--endpoint", metavar="URL",
                     help="A SPARQL endpoint serving the data (a DataService in dcat.ttl, void:sparqlEndpoint)."),
        click.option("--gzip", "gz", is_flag=True, help="Also write .gz copies of the dumps (described as distributions too)."),
        click.option("--no-validate", is_flag=True, help="Skip the SHACL check (when `fkgraph build` just ran it)."),
    ]):
        fn = option(fn)
    return fn


@cli.command()
@click.option("--output", "-o", default="dist", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write into.")
@publishing_options
@click.pass_obj
@handled
def publish(obj, output, base_url, endpoint, gz, no_validate):
    """Write the dumps with their DCAT-AP 3 and VoID descriptions.

    \b
    OUTPUT/dump/fkgraph.ttl, .nt, .jsonld (+ .gz)   sorted, byte-identical for the same data
    OUTPUT/dump/context.jsonld                      the JSON-LD context as a file
    OUTPUT/dcat.ttl                                 DCAT-AP 3.0.1 catalogue, dataset, distributions
    OUTPUT/void.ttl, OUTPUT/.well-known/void        VoID: sizes, partitions, examples, dumps

    The version and dates come from data/release.yaml ($SOURCE_DATE_EPOCH overrides the
    modified date), never the clock.

    Example: fkgraph publish --output dist --base https://example.org/fkgraph/ --gzip
    """
    pub = api.publish(output, obj.settings, base_url=base_url, endpoint=endpoint, gzip=gz, validate=not no_validate)
    click.echo(f"{pub.directory}: {len(pub.dumps)} dumps, dcat.ttl, void.ttl", err=True)


@cli.command()
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False),
              help="Folder to write the site into (new, empty, or a site written before: it is replaced whole).")
@publishing_options
@click.pass_obj
@handled
def site(obj, output, base_url, endpoint, gz, no_validate):
    """Write a static linked-data site (HTML; JavaScript only for search) with the dumps, DCAT-AP and VoID.

    \b
    index.html                  counts, a chart of the most exempted statutes, the stored
                                questions with their answers
    id/<path>.html .ttl .nt     a page and documents (also .jsonld, .rdf) for every IRI;
                                paths mirror the IRIs ({base}id/statute/lab →
                                id/statute/lab.html), a type map (.var) beside each
    data.html, .htaccess        dumps, dcat.ttl, void.ttl, .well-known/void and the
                                content-negotiation rules (Apache 2.4, q-values honoured)
    ontology/                   the ontology (fk.ttl) and its terms
    queries/<name>.html …       each stored question's whole answer, as CSV and JSON, and its .rq
    sitemap.xml, robots.txt     every page for search engines
    search.html, pagefind/      full-text search (Pagefind; pip install 'fkgraph[site]')

    Example: fkgraph site --output public --base https://example.org/fkgraph/
    """
    from fkgraph.publishing.search import INSTALL as search_install

    report = api.site(output, obj.settings, base_url=base_url, endpoint=endpoint, gzip=gz, validate=not no_validate)
    click.echo(f"{report.directory}: {report.pages} pages ({report.resources} resources), "
               f"{len(report.publication.dumps)} dumps", err=True)
    click.echo(f"search: {report.search.pages} pages indexed (search.html)" if report.search else
               f"search is off: Pagefind is not installed ({search_install})", err=True)


class slow_step:
    """On a terminal, a step still running after `after` seconds draws a tqdm bar per stage it
    reports (pass `step.progress` to the library, see fkgraph.rdf.store.Progress) and its duration
    when it ends. Quick steps and pipes stay silent, and off a terminal `progress` is None, so the
    library reports nothing."""

    def __init__(self, label: str, after: float = 2.0, file=None):
        self.label, self.after, self.file = label, after, file or sys.stderr
        self.tty = self.file.isatty()
        self.bar, self.stage = None, None

    @property
    def progress(self):
        return self._progress if self.tty else None

    def _progress(self, stage: str, done: int, total: int) -> None:
        import time

        from tqdm import tqdm

        if stage != self.stage:
            self._close_bar()
            self.stage = stage
            self.bar = tqdm(total=max(total, 1), desc=f"{self.label}: {stage}", file=self.file, leave=True,
                            delay=max(0.0, self.after - (time.perf_counter() - self.t0)), dynamic_ncols=True)
        self.bar.update(done - self.bar.n)

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.update(self.bar.total - self.bar.n)
            self.bar.close()
            self.bar = None

    def __enter__(self):
        import time

        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        import time

        self._close_bar()
        took = time.perf_counter() - self.t0
        if self.tty and took >= self.after:
            click.echo(f"{self.label}: {'failed' if exc[0] else 'done'} ({took:.1f} s)", file=self.file)
        return False


@cli.command()
@click.option("--trials", "-n", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Number of trials (sub-trials included).")
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="Random seed: same seed, same bytes.")
@click.option("--inject", type=click.IntRange(min=0), default=0, show_default=True,
              help="Break this many trials for each kind of violation (see fkgraph.scale.synth.VIOLATIONS).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="File to write; the format follows the extension (.nt, .ttl, .jsonld, optionally .gz).")
@click.pass_obj
@handled
def synth(obj, trials, seed, inject, output):
    """Write a synthetic graph shaped like the real data, for benchmarks and scale tests.

    Deterministic by seed; with --inject K, K trials are broken for each kind of violation and
    listed on stderr (kind and trial id), so a validator's report can be checked against them.

    Example: fkgraph synth --trials 100000 --seed 1 --output /tmp/synth-100k.nt
    """
    from fkgraph.config import check_base
    from fkgraph.scale import synth as _synth

    try:
        with slow_step(f"synth {trials} trials") as step:
            path, n, injected = _synth.write(output, trials, seed, inject, base=check_base(obj.base), progress=step.progress)
    except ValueError as e:
        raise Fail(str(e), 2) from None
    for v in injected:
        click.echo(f"injected {v.kind}: {v.trial}", err=True)
    click.echo(f"{path}: {n} triples, {trials} trials, {len(injected)} injected violation(s)", err=True)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS))
@click.pass_obj
@handled
def stats(obj, fmt):
    """Count what the graph holds: triples, and resources per class.

    Example: fkgraph stats --format markdown
    """
    from fkgraph.sparql.results import render

    click.echo(render(api.stats(api.build(obj.settings)), default_format(fmt)), nl=False)


def main() -> None:
    cli(prog_name="fkgraph")
