"""The static linked-data site (issue 9): links, alternates, titles, both-way links, the chart,
and a real headless Chromium screenshot of the index."""
from __future__ import annotations

import importlib
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from fkgraph import api
from fkgraph import config
from fkgraph.cli import cli

from conftest import ROOT

site = importlib.import_module("fkgraph.publishing.website")
FK = "https://w3id.org/fkgraph/ontology#"


@pytest.fixture(scope="module")
def site_dir(built, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "public"
    site.build(built, out, queries_dir=config.queries_dir(ROOT), ontology_file=config.ontology_file(ROOT),
               base_url="https://example.org/fkgraph/", gzip=True)
    return out


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.alternates: list[tuple[str, str]] = []
        self.lang = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "title":
            self._in_title = True
        for key in ("href", "src"):
            if a.get(key) is not None:
                self.links.append(a[key])
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates.append((a.get("type", ""), a.get("href", "")))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def internal_target(page: Path, href: str) -> Path | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None  # external, mailto:, or a fragment on the same page
    return (page.parent / unquote(parts.path)).resolve()


def test_link_checker_finds_no_broken_internal_link_or_alternate(site_dir):
    pages = sorted(site_dir.rglob("*.html"))
    checked, broken = 0, []
    for page in pages:
        for href in parse(page).links:
            target = internal_target(page, href)
            if target is None:
                continue
            checked += 1
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.append(f"{page.relative_to(site_dir)} → {href}")
    print(f"link check: {len(pages)} pages, {checked} internal links, {len(broken)} broken")
    assert broken == []
    assert len(pages) > 300 and checked > 5000


def test_link_checker_reports_a_broken_link(tmp_path):
    (tmp_path / "a.html").write_text('<html lang="da"><title>t</title><a href="b.html">b</a><a href="a.html">a</a></html>')
    page = tmp_path / "a.html"
    targets = [internal_target(page, h) for h in parse(page).links]
    assert [t.is_file() for t in targets] == [False, True]


def test_every_page_has_a_title_and_a_language(site_dir):
    for page in site_dir.rglob("*.html"):
        p = parse(page)
        assert p.title.strip(), page
        assert p.lang in ("da", "en"), page


def test_resource_pages_mirror_iris_and_have_their_rdf_documents_beside_them(site_dir, built):
    """Each page's alternates are its resource's documents (fkgraph.publishing.documents.describe): its
    own triples and more (what points at it; tests/test_linkeddata.py checks those)."""
    n = 0
    for cls, (kind, _, _) in site.KINDS.items():
        for q in built.store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(cls)):
            iri = q.subject.value
            page = site_dir / (iri.removeprefix(built.base) + ".html")
            alternates = dict(parse(page).alternates)
            formats = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
                       "application/n-triples": ox.RdfFormat.N_TRIPLES, "application/rdf+xml": ox.RdfFormat.RDF_XML}
            assert set(alternates) == set(formats), page
            own = {t for t in (x.triple for x in built.store.quads_for_pattern(q.subject, None, None))}
            docs = [{t.triple for t in ox.parse(path=str(page.parent / alternates[m]), format=f)} for m, f in formats.items()]
            assert own <= docs[0] and all(d == docs[0] for d in docs), page
            n += 1
    # every other IRI under id/ has a page too (an exemption, an excerpt, the dataset …)
    assert n < len(list(site_dir.joinpath("id").rglob("*.html")))


def _hrefs_to(page: Path, target: Path) -> bool:
    return any(internal_target(page, h) == target.resolve() for h in parse(page).links)


def test_trials_statutes_and_provisions_link_both_ways(site_dir, built):
    rows = list(built.store.query(f"""PREFIX fk: <{FK}> SELECT ?trial ?prov ?statute WHERE {{
        ?e a fk:Exemption ; fk:trial ?trial ; fk:provision ?prov . ?prov fk:statute ?statute }} LIMIT 25"""))
    assert rows
    path = lambda n: site_dir / (n.value.removeprefix(built.base) + ".html")
    for r in rows:
        trial, prov, statute = path(r["trial"]), path(r["prov"]), path(r["statute"])
        assert _hrefs_to(trial, prov), (trial, prov)
        assert _hrefs_to(prov, trial), (prov, trial)
        assert _hrefs_to(statute, prov) and _hrefs_to(statute, trial)
        assert _hrefs_to(prov, statute)


def test_every_source_document_has_a_page_reached_from_every_trial_it_sources(site_dir, built):
    docs = {s["id"]: s for s in built.records.sources}
    for doc_id, doc in docs.items():
        page = site_dir / "id" / "source" / f"{doc_id}.html"
        text = page.read_text(encoding="utf-8")
        assert doc["title"]["da"] in text and doc["file"] not in text
        if doc.get("publisher"):
            assert doc["publisher"] in text
    trials = list(built.store.query(f"""PREFIX fk: <{FK}> PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT DISTINCT ?trial ?doc WHERE {{ ?trial a fk:Trial ; prov:wasDerivedFrom/dcterms:isPartOf ?doc }}"""))
    assert len({r["trial"] for r in trials}) == len(list(built.store.query(f"PREFIX fk: <{FK}> SELECT ?t WHERE {{ ?t a fk:Trial }}")))
    path = lambda n: site_dir / (n.value.removeprefix(built.base) + ".html")
    for r in trials:
        assert _hrefs_to(path(r["trial"]), path(r["doc"])), (r["trial"], r["doc"])
    # and the document's page lists the trials derived from it
    some = next(r for r in trials if r["doc"].value.endswith("/004"))
    assert _hrefs_to(path(some["doc"]), path(some["trial"]))


def test_no_page_names_an_internal_file(site_dir, built):
    files = [s["file"] for s in built.records.sources]
    for page in site_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not any(f in text for f in files), page


def test_index_has_counts_the_questions_and_the_publication_files(site_dir, built):
    text = (site_dir / "index.html").read_text(encoding="utf-8")
    from fkgraph.sparql.catalogue import catalogue
    for name in catalogue(config.queries_dir(ROOT)):
        assert f"fkgraph query {name}" in text
    assert f">{len(built.records.trials)}</td>" in text
    for rel in ("dcat.ttl", "void.ttl", ".well-known/void", "ontology/fk.ttl", ".htaccess", "dump/context.jsonld",
                "dump/fkgraph.ttl", "dump/fkgraph.nt.gz", "dump/fkgraph.jsonld"):
        assert (site_dir / rel).is_file(), rel
    rules = (site_dir / ".htaccess").read_text()
    assert "RewriteRule ^(.+)\\.(html|ttl|nt|jsonld|rdf)\\.303$ https://example.org/fkgraph/$1.$2 [R=303,L]" in rules


def test_the_ontology_page_is_the_documentation_with_term_anchors_and_the_turtle(site_dir):
    """ontology/index.html is what `fkgraph docs` writes (fkgraph.publishing.ontodocs), with fk.ttl beside it."""
    page = site_dir / "ontology" / "index.html"
    text = page.read_text(encoding="utf-8")
    assert 'id="Trial"' in text and 'href="#Trial"' in text  # the class's own section, linked from others
    assert "fk.ttl" in parse(page).links and (site_dir / "ontology" / "fk.ttl").is_file()
    assert (site_dir / "ontology" / "fk.ttl").read_bytes() == config.ontology_file(ROOT).read_bytes()
    index = site_dir / "index.html"
    assert internal_target(index, "ontology/index.html") == page.resolve() and _hrefs_to(index, page)


def test_chart_names_the_most_exempted_statute(site_dir, built):
    top = api.query(site.CHART_QUERY, built=built, home=ROOT).dicts()[0]
    text = (site_dir / "index.html").read_text(encoding="utf-8")
    svg = text[text.index("<svg"):text.index("</svg>")]
    first_bar = svg[svg.index('<g class="bar">'):]
    assert f'>{top["statute"]}</text>' in first_bar.split("</g>")[0]
    assert top["title"] in svg


def test_cli_site_refuses_a_folder_it_did_not_write_and_replaces_its_own(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["site", "--output", str(tmp_path), "--no-validate"])
    assert result.exit_code == 2 and "not a site fkgraph wrote" in result.output
    assert (tmp_path / "mine.txt").read_text() == "keep me"
    out = tmp_path / "public"
    for _ in range(2):
        result = CliRunner().invoke(cli, ["site", "--output", str(out), "--no-validate"])
        assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and not list(tmp_path.glob(".public.*"))


# ---- a real browser ------------------------------------------------------------------------------

def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    from conftest import missing

    missing("chromium is not installed (apt-get install chromium); .ci/run installs it and runs this test")


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of raw pixel bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


@pytest.mark.browser
@pytest.mark.slow
def test_headless_chromium_screenshot_of_the_index_is_not_blank(site_dir, tmp_path):
    exe = chromium()
    shot = tmp_path / "index.png"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,900",
           (site_dir / "index.html").as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    width, bpp, rows = png_pixels(shot.read_bytes())
    assert (width, len(rows)) == (1200, 900)
    colours = {row[i:i + 3] for row in rows[::3] for i in range(0, len(row), bpp * 3)}
    assert len(colours) > 50, f"only {len(colours)} colours: the page looks blank"
    # The chart's bars (fill #c8553d in style.css) are on screen: the SVG rendered above the fold.
    assert bytes((0xC8, 0x55, 0x3D)) in colours
