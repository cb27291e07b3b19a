"""The `fkgraph` command line: each command is a thin call into the Python API.

Errors become one line on stderr and an exit code: 1 for data that is invalid or does not
conform, 2 for usage errors (unknown query, bad parameter, unreadable input).
"""
from __future__ import annotations

import functools
import os
import sys

import click

from . import api, iris

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown")


class Fail(click.ClickException):
    """One line on stderr, a chosen exit code, never a traceback."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None) -> None:
        click.echo(f"fkgraph: {self.format_message()}", err=True)


def handled(fn):
    """Map the library's exceptions to one-line errors with the right exit code."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .citations import CitationError
        from .queries import QueryError
        from .records import RecordError

        try:
            return fn(*args, **kwargs)
        except RecordError as e:
            raise Fail(str(e), 1) from None
        except CitationError as e:
            raise Fail(f"citation: {e}", 1) from None
        except api.BuildError as e:
            click.echo(e.report.text(), err=True)
            raise Fail("the data does not conform to ontology/shapes.ttl; nothing was written", 1) from None
        except QueryError as e:
            raise Fail(str(e), 2) from None
        except FileNotFoundError as e:
            raise Fail(str(e), 2) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:  # a bug: still one line, but say how to see more
            if os.environ.get("FKGRAPH_DEBUG"):
                raise
            raise Fail(f"internal error: {type(e).__name__}: {e} (set FKGRAPH_DEBUG=1 for the traceback)", 1) from None
    return wrapper


def default_format(fmt: str | None) -> str:
    return fmt or ("table" if sys.stdout.isatty() else "csv")


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise Fail(f"--param {pair!r}: write NAME=VALUE, e.g. -p statute=LAB", 2)
        k, v = pair.split("=", 1)
        out[k.strip()] = v
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--home", envvar="FKGRAPH_HOME", type=click.Path(file_okay=False),
              help="Folder with data/, ontology/ and queries/ (default: this checkout).")
@click.option("--base", default=iris.DEFAULT_BASE, show_default=True, help="Base of every minted IRI.")
@click.version_option(package_name="fkgraph")
@click.pass_context
def cli(ctx, home, base):
    """fkgraph: Danish free-municipality trials and the laws they set aside, as linked data.

    \b
    Start here:
      fkgraph query most-exempted-statutes     which acts were set aside most
      fkgraph queries                          the catalogue of stored questions
      fkgraph build                            validate and write dist/fkgraph.ttl
      fkgraph cite "servicelovens § 52, stk. 3"
    """
    ctx.obj = {"home": home, "base": base}


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
    built, report, path = api.build_to(output, obj["home"], obj["base"])
    click.echo(f"{path}: {len(built)} triples, {len(built.records.trials)} trials; conforms", err=True)


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@handled
def validate(obj, files, fmt):
    """Validate the data (built in memory) or the given RDF FILES against the shapes.

    Exit 0 when the graph conforms, 1 when it does not.

    Example: fkgraph validate dist/fkgraph.ttl
    """
    try:
        report = api.validate(list(files) if files else None, home=obj["home"])
    except (SyntaxError, ValueError) as e:
        from .records import RecordError
        if isinstance(e, RecordError):
            raise
        raise Fail(f"cannot read RDF: {e}", 2) from None
    click.echo(report.json() if fmt == "json" else report.text())
    if not report.conforms:
        sys.exit(1)


@cli.command()
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; repeatable. Names, codes, citations and IRIs are accepted.")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS),
              help="Output format (default: table on a terminal, csv in a pipe).")
@click.pass_obj
@handled
def query(obj, name, params, fmt):
    """Run a stored query by NAME (see `fkgraph queries`) or a .rq FILE.

    Builds the graph from data/ in memory: no server and no prior build needed.

    Example: fkgraph query most-exempted-statutes --format csv
    """
    from .queries import render

    rows = api.query(name, parse_params(params), built=api.build(obj["home"], obj["base"]), home=obj["home"])
    click.echo(render(rows, default_format(fmt)), nl=False)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS))
@click.pass_obj
@handled
def queries(obj, fmt):
    """List the stored queries: name, summary, parameters."""
    from . import resources
    from .queries import Rows, catalogue, render

    rows = []
    for q in catalogue(resources.queries_dir(obj["home"])).values():
        params = ", ".join(f"{p.name}{'' if p.required else '?'}" + (f"={p.default}" if p.default else "") for p in q.params)
        rows.append([q.name, q.summary, params])
    click.echo(render(Rows(["name", "summary", "parameters"], rows), default_format(fmt)), nl=False)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["turtle", "ntriples"]), default=None,
              help="Default: from the output file's extension (.ttl, .nt).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.pass_obj
@handled
def export(obj, fmt, output):
    """Write the graph to a file, atomically (a temporary file renamed into place).

    Example: fkgraph export --format ntriples --output dist/fkgraph.nt
    """
    built = api.build(obj["home"], obj["base"])
    path = api.export(built, output, fmt)
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
    from .queries import Rows, render

    if text == "-":
        text = sys.stdin.read()
    found = api.cite(text, obj["home"], obj["base"])
    columns = ["statute", "provision", "iri", "note"]
    click.echo(render(Rows(columns, [[r[c] for c in columns] for r in found]), default_format(fmt)), nl=False)


def main() -> None:
    cli(prog_name="fkgraph")
