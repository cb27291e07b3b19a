"""A static linked-data site: one HTML page per network, trial, municipality, statute, provision
and programme, with its Turtle and JSON-LD beside it (the tables each page shows are
fkgraph.publishing.pages'), an index that answers the stored questions, the dumps with their DCAT-AP
and VoID descriptions (fkgraph.publishing.catalog), the ontology's documentation under ontology/
(fkgraph.publishing.ontodocs, as `fkgraph docs` writes it) and a content-negotiation recipe.

Page paths mirror IRI paths: `{base}id/trial/frikommune-ii/x` is `id/trial/frikommune-ii/x.html`
with `x.ttl` and `x.jsonld` beside it (the resource's Concise Bounded Description). A file per
IRI (rather than `x/index.html`) keeps the rewrite rule one line per format — `id/(path)` →
`id/(path).html|.ttl|.jsonld` — and lets a statute (`id/statute/lab.html`) and its provisions
(`id/statute/lab/p48.html`) live side by side. Every link is relative, so the site works from a
folder, from `file://` and from any host. Pages are plain HTML and CSS: no JavaScript.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from fkgraph import fsio
from fkgraph.errors import UsageError
from fkgraph.publishing import catalog, discovery, documents, ontodocs, questions as _questions, search as _search
from fkgraph.publishing.pages import FK, KINDS, RDF_TYPE, Site
from fkgraph.rdf.terms import PREFIXES
from fkgraph.sparql import results as _results

if TYPE_CHECKING:
    from fkgraph.publishing.release import Release
    from fkgraph.rdf.store import Built

LIST_PAGES = {  # kind → (file, Danish title, English title)
    "network": ("networks.html", "Frikommunenetværk", "Networks"),
    "trial": ("trials.html", "Forsøg", "Trials"),
    "municipality": ("municipalities.html", "Kommuner", "Municipalities"),
    "statute": ("statutes.html", "Love og bestemmelser", "Statutes and provisions"),
    "source": ("sources.html", "Kilder", "Sources"),
}
CHART_QUERY = "most-exempted-statutes"
PAGE_SIZE = 20   # search results per page before "load more"
MARKER = ".fkgraph-site"


class SiteError(UsageError):
    """The site cannot be built as asked (a folder it did not write)."""


@dataclass
class SiteReport:
    directory: Path
    pages: int
    resources: int
    publication: catalog.Publication
    files: list[str] = field(default_factory=list)
    search: _search.SearchIndex | None = None   # None: Pagefind is not installed, the site has no search


def _jinja():
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("fkgraph.publishing", "templates"),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


class _Writer:
    """Writes the site's files into the staged folder, and remembers which."""

    def __init__(self, directory: Path, site: Site, search: bool = False):
        self.directory, self.site, self.env, self.search = directory, site, _jinja(), search
        self.files: list[str] = []

    def write(self, rel: str, content: str | bytes) -> None:
        # Plain writes: the whole folder is new and is swapped into place by `build`.
        path = self.directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        self.files.append(rel)

    def render(self, template: str, rel: str, **ctx: Any) -> None:
        href = self.site.href
        root = href("index.html", rel).removesuffix("index.html") or "./"
        nav = [(href(LIST_PAGES[k][0], rel), LIST_PAGES[k][1], LIST_PAGES[k][2])
               for k in ("network", "trial", "municipality", "statute", "source")]
        nav += [(href("ontology/index.html", rel), "Ontologi", "Ontology"), (href("data.html", rel), "Data", "Data")]
        ctx.setdefault("crumbs", None)
        self.write(rel, self.env.get_template(template).render(
            root=root, index=href("index.html", rel), css=href("style.css", rel), nav=nav,
            search=href(_search.PAGE, rel) if self.search else None, **ctx))

    def crumbs(self, rel: str, *trail: tuple[str | None, str, str]) -> list[tuple[str | None, str, str]]:
        """Breadcrumbs from the index to the page `rel`: (site path or None for the page itself, da, en)."""
        s = self.site
        return [(s.href("index.html", rel), "Forside", "Home")] + [
            (s.href(path, rel) if path else None, da, en) for path, da, en in trail]


def bar_chart(rows: list[tuple[str, str, int, str | None]], width: int = 760) -> str:
    """An inline SVG bar chart: (label, title, value, href) per bar, largest first."""
    if not rows:
        return ""
    bar_h, gap, left, right = 26, 8, 110, 50
    top = max(v for _, _, v, _ in rows) or 1
    height = len(rows) * (bar_h + gap) + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" aria-labelledby="chart-title">',
           '<title id="chart-title">Forsøg pr. lov, flest først – trials per statute, most first</title>']
    for i, (label, title, value, href) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(2, round((width - left - right) * value / top))
        e = html.escape
        bar = (f'<g class="bar"><title>{e(label)}: {e(title)} ({value})</title>'
               f'<text x="{left - 8}" y="{y + bar_h * 0.7:.0f}" text-anchor="end">{e(label)}</text>'
               f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" rx="3"></rect>'
               f'<text class="value" x="{left + w + 6}" y="{y + bar_h * 0.7:.0f}">{value}</text></g>')
        out.append(f'<a href="{e(href)}">{bar}</a>' if href else bar)
    out.append("</svg>")
    return "\n".join(out)


def build(built: Built, directory: str | Path, *, queries_dir: str | Path, ontology_file: str | Path | None = None,
          shapes_file: str | Path | None = None, base_url: str | None = None, endpoint: str | None = None,
          gzip: bool = False, release: Release | None = None, search: bool = True) -> SiteReport:
    """Write the whole site into `directory` (created if missing; files of earlier runs are replaced).

    `base_url` is the public URL of the site (default: the IRI base); it appears in dcat.ttl,
    void.ttl and the rewrite rules. Pages link to each other relatively. `release` is the
    release metadata (default: fkgraph.publishing.release.load_release()), shown on the index and in
    dcat.ttl. `shapes_file` (default: shapes.ttl beside `ontology_file`) is documented with the
    ontology under ontology/. With `search` (and Pagefind installed, see fkgraph.publishing.search)
    every page is indexed for the search page; the report's `search` is None when it is not."""
    target = Path(directory)
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).is_file())):
        raise SiteError(f"{target}: exists and is not a site fkgraph wrote (no {MARKER} in it); "
                        f"give a new or empty folder, so that nothing else is replaced")
    site_url = catalog._url(base_url or built.base)
    if endpoint:
        catalog._url(endpoint)
    # A reader sees the old site or the new one; a failed run leaves the old one as it was.
    with fsio.staged_folder(target) as staged:
        report = _build(built, staged, queries_dir, ontology_file, shapes_file, site_url, endpoint, gzip, release,
                        search and _search.available())
        (staged / MARKER).write_text("written by fkgraph site; the folder is replaced on the next run\n")
    report.directory = target
    report.publication.directory = target
    return report


def _build(built: Built, directory: Path, queries_dir, ontology_file, shapes_file, site_url: str,
           endpoint: str | None, gzip: bool, release: Release | None, search: bool) -> SiteReport:
    has_ontology = bool(ontology_file and Path(ontology_file).is_file())
    ontology = None
    if has_ontology:
        ontology = ox.Store()
        ontology.bulk_load(path=str(ontology_file), format=ox.RdfFormat.TURTLE)
    s = Site(built, ontology)
    out = _Writer(directory, s, search)
    publication = catalog.write_publication(built.store, directory, site_url, built.base, endpoint, gzip, release=release)
    out.files += [d.relpath for d in publication.dumps] + ["dump/context.jsonld", "dcat.ttl", "void.ttl", ".well-known/void"]
    out.write("style.css", (Path(__file__).parent / "templates" / "style.css").read_text(encoding="utf-8"))
    catalogue = catalog.dcat(publication.dumps, site_url, built.base, endpoint, publication.release) + \
        catalog.void(built.store, publication.dumps, site_url, built.base, endpoint)
    documents.write_site_documents(out, built, catalogue, ontology)
    _resource_pages(out, built)
    _list_pages(out)
    _index(out, built, queries_dir, publication, site_url)
    _data_page(out, built, site_url, endpoint, publication)
    if has_ontology:  # the documentation `fkgraph docs` writes: index.html (#Term anchors), fk.ttl, shapes.ttl
        shapes = Path(shapes_file) if shapes_file else Path(ontology_file).with_name("shapes.ttl")
        docs = ontodocs.build_docs(directory / "ontology", ontology_file, shapes)
        out.files += [f"ontology/{f.name}" for f in docs.files]
        documents.write_ontology(out.write, ontology_file, ontodocs.ONTOLOGY_IRI, directory / "ontology" / "index.html")
    else:
        out.render("ontology.html", "ontology/index.html")
    if search:
        out.render("search.html", _search.PAGE, page_size=PAGE_SIZE)
    pages = [f for f in out.files if f.endswith(".html")]
    out.write("sitemap.xml", discovery.sitemap(site_url, pages, publication.release.modified if publication.release else None))
    out.write("robots.txt", discovery.robots(site_url))
    found = _search.index(directory) if search else None
    return SiteReport(directory, len(pages), len(s.pages), publication, out.files, found)


def _resource_pages(out: _Writer, built: Built) -> None:
    """One page per resource of a kind of its own (its documents are fkgraph.publishing.documents')."""
    s = out.site
    for page in sorted(s.pages.values(), key=lambda p: p.path):
        if page.kind == "resource":  # written by documents.write_site_documents
            continue
        stem = page.path.removesuffix(".html")
        kind_da, kind_en = next((da, en) for k, da, en in KINDS.values() if k == page.kind)
        name = stem.rsplit("/", 1)[-1]
        listed = LIST_PAGES.get(page.kind, LIST_PAGES["statute"]) if page.kind != "programme" else None
        trail = ([listed] if listed else []) + [(p.path, p.display, p.display_en) for p in s.ancestors(page)]
        out.render("resource.html", page.path, page=page, kind_da=kind_da, kind_en=kind_en,
                   ttl=name + ".ttl", jsonld=name + ".jsonld", nt=name + ".nt", rdf=name + ".rdf",
                   sections=s.sections(page), statements=s.statements(page.iri, page.path),
                   referenced=s.referenced_by(page.iri, page.path),
                   list_page=s.href(LIST_PAGES.get(page.kind, LIST_PAGES["statute"])[0], page.path),
                   crumbs=out.crumbs(page.path, *trail, (None, page.display, page.display_en)))


def _list_pages(out: _Writer) -> None:
    s = out.site
    for kind, (rel, da, en) in LIST_PAGES.items():
        kinds = {kind, "provision"} if kind == "statute" else {kind}
        items = sorted((p for p in s.pages.values() if p.kind in kinds), key=lambda p: _results.natural_key(p.path))
        out.render("list.html", rel, title=da, title_en=en, crumbs=out.crumbs(rel, (None, da, en)),
                   items=[{"href": s.href(p.path, rel), "text": p.display, "en": p.display_en if p.title_en else "",
                           "kind": p.kind, "iri": p.iri} for p in items])


def _index(out: _Writer, built: Built, queries_dir, publication: catalog.Publication, site_url: str) -> None:
    """Counts, the chart, the questions of the query catalogue with their first answers (each
    question's whole answer on a page of its own), and the schema.org Dataset in the head."""
    s = out.site
    counts = []
    for cls, (kind, da, en) in KINDS.items():
        n = sum(1 for p in s.pages.values() if p.kind == kind)
        counts.append({"da": da, "en": en, "n": n, "href": s.href(LIST_PAGES[kind][0], "index.html") if kind in LIST_PAGES else None})
    n_ex = sum(1 for _ in built.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(FK + "Exemption"), ox.DefaultGraph()))
    counts.append({"da": "Fritagelser", "en": "Exemptions", "n": n_ex, "href": None})
    counts.append({"da": "Tripler", "en": "Triples", "n": len(built.store), "href": "data.html"})
    asked, answers = _questions.answer(built, queries_dir)
    _questions.write(out, s, asked, answers)
    questions = [{"name": q.name, "summary_da": q.summary_da, "summary_en": q.summary_en, "description": q.description,
                  "needs": q.needs, "error": q.error, "page": q.page, "columns": q.columns, "total": len(q.rows),
                  "shown": _questions.cells(s, q, "index.html", _questions.PREVIEW), "rows": q.rows,
                  "files": {ext: q.file(ext) for ext in (("csv", "json", "rq") if q.name in answers else ("rq",))}}
                 for q in asked]
    chart = _chart(s, answers.get(CHART_QUERY))
    dataset = discovery.script(discovery.dataset(publication, site_url, built.base))
    out.render("index.html", "index.html", counts=counts, chart=chart, questions=questions,
               title_da=catalog.TITLE["da"], title_en=catalog.TITLE["en"],
               description_da=catalog.SUMMARY["da"], description_en=catalog.SUMMARY["en"],
               release=publication.release, dataset_jsonld=dataset)


def _chart(s: Site, rows: _results.Rows | None) -> str:
    """The bar chart of CHART_QUERY's answer: its first twelve statutes, each linked to its page."""
    bars = []
    for d in (rows.dicts()[:12] if rows else []):
        iri = _statute_iri(s, d["statute"])
        bars.append((d["statute"], d["title"], int(d["trials"]),
                     s.href(s.pages[iri].path, "index.html") if iri in s.pages else None))
    return bar_chart(bars)


def _data_page(out: _Writer, built: Built, site_url: str, endpoint: str | None, publication: catalog.Publication) -> None:
    """Dumps, DCAT-AP, VoID and the content-negotiation recipe (also written as .htaccess)."""
    dumps = [{"href": d.relpath, "fmt": d.fmt, "gzip": d.gzip, "size": d.size, "sha256": d.sha256} for d in publication.dumps]
    rules = documents.htaccess(site_url, built.base)
    out.write(".htaccess", rules)
    out.render("data.html", "data.html", dumps=dumps, rules=rules, site_url=site_url, base=built.base, endpoint=endpoint,
               crumbs=out.crumbs("data.html", (None, "Data", "Data")))


def _statute_iri(s: Site, notation: str) -> str | None:
    """The statute page whose skos:notation is `notation` (the chart query returns notations)."""
    for iri, page in s.pages.items():
        if page.kind == "statute" and any(o.value == notation for o in s.objects(iri, PREFIXES["skos"] + "notation")):
            return iri
    return None

