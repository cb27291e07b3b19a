"""The site as a visitor and a search engine meet it (issue 22): Pagefind search in a real browser on a
real web server, sitemap.xml and robots.txt, the schema.org Dataset read with PyLD, whole answers with
their CSV, JSON and .rq, Markdown, provisions in legal order, both languages, no curators' notes,
trials of one title told apart, breadcrumbs, captions and th scope. Every check parses the built
site (lxml), never the templates."""
from __future__ import annotations

import csv
import importlib
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
import pytest

from fkgraph import api, config
from fkgraph.sparql.catalogue import catalogue

from conftest import ROOT, missing
from servers import HOST, free_port

lxml_html = pytest.importorskip("lxml.html")
site = importlib.import_module("fkgraph.publishing.website")
search = importlib.import_module("fkgraph.publishing.search")
FK = "https://w3id.org/fkgraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SITE_URL = "https://example.org/fkgraph/"


@pytest.fixture(scope="module")
def report(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("visitors") / "public"
    return site.build(built, out, queries_dir=config.queries_dir(ROOT), ontology_file=config.ontology_file(ROOT),
                      base_url=SITE_URL, gzip=True)


@pytest.fixture(scope="module")
def site_dir(report) -> Path:
    return report.directory


def doc(path: Path):
    return lxml_html.fromstring(path.read_bytes())


def pages(site_dir: Path) -> list[Path]:
    return sorted(p for p in site_dir.rglob("*.html") if "pagefind" not in p.relative_to(site_dir).parts)


def page_of(site_dir: Path, built, iri: str) -> Path:
    return site_dir / (iri.removeprefix(built.base) + ".html")


def text_of(el) -> str:
    return " ".join(el.text_content().split())


# ---- sitemap.xml and robots.txt -------------------------------------------------------------------

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_every_page_as_the_sitemaps_protocol_asks(site_dir, report):
    tree = ET.parse(site_dir / "sitemap.xml")   # well-formed XML, or this raises
    root = tree.getroot()
    assert root.tag == SM + "urlset"
    urls = list(root)
    assert 0 < len(urls) <= 50_000 and (site_dir / "sitemap.xml").stat().st_size <= 50 * 1024 * 1024
    locs = []
    for url in urls:
        assert url.tag == SM + "url"
        children = [c.tag.removeprefix(SM) for c in url]
        assert children[0] == "loc" and set(children) <= {"loc", "lastmod", "changefreq", "priority"}
        loc = url.find(SM + "loc").text
        assert 12 <= len(loc) <= 2048 and loc.startswith(SITE_URL) and " " not in loc
        lastmod = url.find(SM + "lastmod").text
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", lastmod) and lastmod == report.publication.release.modified
        locs.append(loc)
    assert len(locs) == len(set(locs))
    expected = {SITE_URL if p.name == "index.html" and p.parent == site_dir else SITE_URL + p.relative_to(site_dir).as_posix()
                for p in pages(site_dir)}
    assert set(locs) == expected


def test_robots_txt_allows_crawling_and_names_the_sitemap(site_dir):
    lines = (site_dir / "robots.txt").read_text().splitlines()
    assert "User-agent: *" in lines and "Disallow: /" not in lines
    assert f"Sitemap: {SITE_URL}sitemap.xml" in lines


# ---- the schema.org Dataset on the index ------------------------------------------------------------

def _no_fetch(url, options=None):
    raise AssertionError(f"expanding the Dataset JSON-LD tried to fetch {url}")


def test_index_carries_a_schema_org_dataset_that_pyld_expands_offline(site_dir, report):
    jsonld = pytest.importorskip("pyld.jsonld")
    scripts = doc(site_dir / "index.html").xpath('//head/script[@type="application/ld+json"]')
    assert len(scripts) == 1
    data = json.loads(scripts[0].text)
    [ds] = jsonld.expand(data, {"documentLoader": _no_fetch})
    S = "https://schema.org/"
    assert ds["@type"] == [S + "Dataset"]
    names = {(v["@value"], v.get("@language")) for v in ds[S + "name"]}
    dcat = ox.Store()
    dcat.bulk_load(path=str(site_dir / "dcat.ttl"), format=ox.RdfFormat.TURTLE)
    titles = {(q.object.value, q.object.language) for q in dcat.quads_for_pattern(
        None, ox.NamedNode("http://purl.org/dc/terms/title"), None) if q.subject.value.endswith("id/dataset")}
    assert names == titles and {lang for _, lang in names} == {"da", "en"}
    assert all(len(v["@value"]) >= 50 for v in ds[S + "description"])
    assert ds[S + "license"] == [{"@id": "https://creativecommons.org/licenses/by/4.0/"}]
    [creator] = ds[S + "creator"]
    assert creator["@type"] == [S + "Organization"] and creator[S + "name"]
    release = report.publication.release
    assert ds[S + "temporalCoverage"] == [{"@value": f"{release.start}/{release.end}"}]
    [place] = ds[S + "spatialCoverage"]
    assert place["@type"] == [S + "Place"] and "Denmark" in {v["@value"] for v in place[S + "name"]}
    downloads = ds[S + "distribution"]
    dumps = {p.relative_to(site_dir).as_posix() for p in (site_dir / "dump").iterdir() if p.name != "context.jsonld"}
    assert {d[S + "contentUrl"][0]["@value"] for d in downloads} == {SITE_URL + rel for rel in dumps}
    for d in downloads:
        assert d["@type"] == [S + "DataDownload"]
        fmt = d[S + "encodingFormat"][0]["@value"]
        url = d[S + "contentUrl"][0]["@value"]
        assert fmt == ("application/gzip" if url.endswith(".gz") else
                       {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json"}[url.rsplit(".", 1)[1]])


# ---- the stored questions: whole answers, files, Markdown ------------------------------------------

def test_every_answer_is_whole_on_its_page_and_as_csv_json_and_rq(site_dir, built):
    index = doc(site_dir / "index.html")
    assert "rækker mere" not in text_of(index) and "more rows" not in text_of(index)
    answered = 0
    for name, q in catalogue(config.queries_dir(ROOT)).items():
        [article] = index.xpath(f'//article[@id="q-{name}"]')
        links = {urljoin("index.html", h) for h in article.xpath(".//a/@href")}
        assert f"queries/{name}.rq" in links
        assert (site_dir / "queries" / f"{name}.rq").read_bytes() == q.path.read_bytes()
        if any(p.required and not p.default for p in q.params):
            continue
        answered += 1
        assert {f"queries/{name}.html", f"queries/{name}.csv", f"queries/{name}.json"} <= links
        rows = api.query(name, built=built, home=ROOT)
        table = list(csv.reader(io.StringIO((site_dir / "queries" / f"{name}.csv").read_text(encoding="utf-8"))))
        assert table[0] == rows.columns and len(table) - 1 == len(rows.rows)
        assert len(json.loads((site_dir / "queries" / f"{name}.json").read_text(encoding="utf-8"))) == len(rows.rows)
        [full] = doc(site_dir / "queries" / f"{name}.html").xpath("//table")
        assert len(full.xpath("./tbody/tr")) == len(rows.rows)
        shown = article.xpath(".//table/tbody/tr")
        assert len(shown) == min(len(rows.rows), 10)
        if len(rows.rows) > len(shown):  # a preview says so and links the whole answer
            assert str(len(rows.rows)) in text_of(article.xpath(".//table/caption")[0])
    assert answered >= 10


def test_query_descriptions_are_rendered_markdown_with_html_escaped(site_dir):
    index = doc(site_dir / "index.html")
    with_code = 0
    for name, q in catalogue(config.queries_dir(ROOT)).items():
        [article] = index.xpath(f'//article[@id="q-{name}"]')
        described = article.xpath('.//div[contains(@class, "description")]')
        if not q.description:
            continue
        assert "`" not in text_of(described[0]), name
        if "`" in q.description:
            with_code += 1
            assert described[0].xpath(".//code"), name
    assert with_code >= 5
    questions = importlib.import_module("fkgraph.publishing.questions")
    rendered = lxml_html.fragment_fromstring(questions.markdown("`a` <script>alert(1)</script> *b*"), create_parent="div")
    assert not rendered.xpath("//script") and rendered.xpath("//code") and rendered.xpath("//em")
    assert "<script>alert(1)</script>" in text_of(rendered)


# ---- resource pages -------------------------------------------------------------------------------

LEVELS = {"kap": 0, "p": 1, "stk": 2, "nr": 3, "litra": 4, "pkt": 5}


def legal_key(href: str) -> tuple:
    """A provision's place in its statute, read from its page path: § number then letter, stk., nr. …"""
    parts = urlsplit(href).path.removesuffix(".html").split("/statute/", 1)[1].split("/")
    key: list = [tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", parts[0]))]
    for seg in parts[1:]:
        m = re.fullmatch(r"(kap|p|stk|nr|pkt|litra-?)([0-9]*)([a-z]*)", seg)
        assert m, seg
        key.append((LEVELS[m.group(1).rstrip("-")], int(m.group(2) or 0), m.group(3)))
    return tuple(key)


def _provision_runs(page: Path) -> list[list[str]]:
    """The provision links of each table cell or column on the page, in page order."""
    runs = []
    for table in doc(page).xpath("//main//table[not(contains(@class, 'statements'))]"):
        cells = [[h for h in td.xpath(".//a/@href") if "/statute/" in h] for td in table.xpath(".//td")]
        runs += [c for c in cells if len(c) > 1]                 # the provisions of one cell
        first = [c[0] for c in ([h for h in td.xpath(".//a/@href") if "/statute/" in h]
                                for td in table.xpath("./tbody/tr/td[1]")) if c]
        if len(first) > 1:
            runs.append(first)                                   # a column of provisions, row by row
    return runs


def test_provisions_are_in_legal_order_on_trial_and_network_pages(site_dir, built):
    checked, numeric_differs = 0, False
    for kind in ("trial", "network"):
        for page in (site_dir / "id" / kind).rglob("*.html"):
            for run in _provision_runs(page):
                resolved = [(page.parent / h).resolve().relative_to(site_dir.resolve()).as_posix() for h in run]
                keys = [legal_key("/" + r) for r in resolved]
                assert keys == sorted(keys), (page.name, resolved)
                numeric_differs |= resolved != sorted(resolved)   # where text order would be wrong
                checked += 1
    assert checked > 20 and numeric_differs


def test_status_values_and_headings_are_in_danish_and_english(site_dir, built):
    onto = ox.Store()
    onto.bulk_load(path=str(config.ontology_file(ROOT)), format=ox.RdfFormat.TURTLE)
    labels = {}
    for q in onto.quads_for_pattern(None, ox.NamedNode(SKOS + "prefLabel"), None):
        labels.setdefault(q.subject.value, {})[q.object.language] = q.object.value
    seen = 0
    for sol in built.store.query(f"PREFIX fk: <{FK}> SELECT ?t ?s WHERE {{ ?t a fk:Trial ; fk:status ?s }}"):
        page = doc(page_of(site_dir, built, sol["t"].value))
        row = page.xpath('//tr[th[starts-with(normalize-space(.), "Status ")]][1]/td')[0]
        da, en = labels[sol["s"].value]["da"], labels[sol["s"].value]["en"]
        assert row.xpath(f'.//span[@lang="da" and normalize-space(.)="{da}"]'), sol["t"]
        assert row.xpath(f'.//span[@lang="en" and normalize-space(.)="{en}"]'), sol["t"]
        seen += 1
    assert seen > 50
    for page in pages(site_dir):
        if page.parent.name == "ontology":
            continue
        for h in doc(page).xpath("//main//h2"):
            assert h.xpath('./span[@lang="en"]') and text_of(h) != text_of(h.xpath('./span[@lang="en"]')[0]), (page, text_of(h))
    for article in doc(site_dir / "index.html").xpath('//article[@class="question"]'):
        [h] = article.xpath("./h3")
        assert h.xpath('./span[@lang="en"]') and h.xpath("./a|./text()")


def test_no_page_shows_a_curators_note(site_dir, built):
    notes = [q.object.value for q in built.store.quads_for_pattern(None, ox.NamedNode(SKOS + "note"), None)]
    assert len(notes) > 50 and any("sub-rows" in n for n in notes)
    fragments = {" ".join(n.split())[:60] for n in notes}
    for page in pages(site_dir):
        body = text_of(doc(page))
        found = [f for f in fragments if f in body]
        assert not found, (page, found[:2])
        assert "Table row whose first cell spans" not in body and "seeds folder" not in body
    # they stay in the RDF beside the page, for data users
    some = next(q for q in built.store.quads_for_pattern(None, ox.NamedNode(SKOS + "note"), None)
                if q.subject.value.startswith(built.base) and page_of(site_dir, built, q.subject.value).is_file())
    ttl = page_of(site_dir, built, some.subject.value).with_suffix(".ttl")
    assert some.object.value in {t.object.value for t in ox.parse(path=str(ttl), format=ox.RdfFormat.TURTLE)}


def test_trials_with_one_title_are_told_apart(site_dir, built):
    by_title: dict[str, list[str]] = {}
    for sol in built.store.query(f"""PREFIX fk: <{FK}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
            SELECT ?t ?l WHERE {{ ?t a fk:Trial ; rdfs:label ?l FILTER(lang(?l) = "da") }}"""):
        by_title.setdefault(sol["l"].value.casefold(), []).append(sol["t"].value)
    groups = [g for g in by_title.values() if len(g) > 1]
    assert groups, "the data has trials of one title (network 2 and 3); this test needs them"
    for group in groups:
        heads = [doc(page_of(site_dir, built, t)) for t in group]
        h1s = [text_of(h.xpath("//h1")[0]) for h in heads]
        titles = [text_of(h.xpath("//title")[0]) for h in heads]
        assert len(set(h1s)) == len(group) and len(set(titles)) == len(group), h1s
        trials_list = doc(site_dir / "trials.html")
        listed = [text_of(a) for a in trials_list.xpath("//main//li/a")]
        assert len(set(listed)) == len(listed)


def test_every_resource_page_has_breadcrumbs_from_the_index_to_itself(site_dir, built):
    for page in (site_dir / "id").rglob("*.html"):
        nav = doc(page).xpath('//nav[contains(@class, "breadcrumbs")]')
        assert nav, page
        items = nav[0].xpath("./ol/li")
        first = items[0].xpath("./a/@href")[0]
        assert (page.parent / first).resolve() == (site_dir / "index.html").resolve()
        assert items[-1].xpath('./span[@aria-current="page"]')
        for href in nav[0].xpath(".//a/@href"):
            assert (page.parent / href).resolve().is_file(), (page, href)
    # a sub-trial's crumbs pass through its network and its parent row
    sol = next(iter(built.store.query(f"""PREFIX fk: <{FK}> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?t ?parent ?net WHERE {{ ?t a fk:Trial ; dcterms:isPartOf ?parent . ?parent fk:network ?net }} LIMIT 1""")))
    page = page_of(site_dir, built, sol["t"].value)
    crumbs = {(page.parent / h).resolve() for h in doc(page).xpath('//nav[contains(@class, "breadcrumbs")]//a/@href')}
    assert page_of(site_dir, built, sol["parent"].value).resolve() in crumbs
    assert page_of(site_dir, built, sol["net"].value).resolve() in crumbs


def test_every_table_has_a_caption_and_every_header_cell_a_scope(site_dir):
    tables = 0
    for page in pages(site_dir):
        for table in doc(page).xpath("//table"):
            tables += 1
            caption = table.xpath("./caption")
            assert caption and text_of(caption[0]) and table.index(caption[0]) == 0, page
            for th in table.xpath(".//th"):
                assert th.get("scope") in ("col", "row", "colgroup", "rowgroup"), (page, text_of(th))
    assert tables > 500


# ---- search ---------------------------------------------------------------------------------------

def test_without_pagefind_the_site_is_built_and_says_search_is_off(tmp_path):
    env = {**os.environ, "PAGEFIND_BINARY_PATH": str(tmp_path / "no-pagefind"), "PYTHONPATH": str(ROOT / "src")}
    out = tmp_path / "public"
    done = subprocess.run([sys.executable, "-m", "fkgraph", "--home", str(ROOT), "site", "--output", str(out),
                           "--no-validate"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    off = [line for line in done.stderr.splitlines() if "search" in line]
    assert len(off) == 1 and off[0].startswith("search is off") and "pip install" in off[0]
    assert not (out / "search.html").exists() and not (out / "pagefind").exists()
    assert not doc(out / "index.html").xpath('//form[@role="search"]')
    assert (out / "sitemap.xml").is_file() and (out / "index.html").is_file()


def test_pagefind_indexes_every_page_with_its_language_and_main_content(site_dir, report):
    if report.search is None:
        missing(f"Pagefind is not installed ({search.INSTALL}); the test extra installs it")
    all_pages = pages(site_dir)
    assert report.search.pages == len(all_pages)
    for page in all_pages:
        d = doc(page)
        assert d.get("lang") in ("da", "en")
        assert len(d.xpath("//*[@data-pagefind-body]")) == 1, page
    index = doc(site_dir / "index.html")
    assert index.xpath('//form[@role="search"]/@action') == ["search.html"]


def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FKGRAPH_ARTEFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def served(site_dir):
    """The site's parent folder behind Python's http.server on 127.0.0.1, so the site lives under /public/."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", HOST, "--directory",
                             str(site_dir.parent)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}/{site_dir.name}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "index.html", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _settled(browser, timeout: float = 30) -> int:
    """The number of result links once it has stopped growing (results load one by one)."""
    count = "document.querySelectorAll('.pagefind-ui__result-link').length"
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        n = browser.evaluate(count)
        if n == last and n > 0:
            return n
        last = n
        time.sleep(0.5)
    raise TimeoutError("the search results did not settle")


def _results(browser, query: str) -> list[tuple[str, str]]:
    """Every result link of the search page, after pressing "load more" until there is no more."""
    browser.wait_for("/^\\d+ /.test((document.querySelector('.pagefind-ui__message') || {}).textContent || '')"
                     f" && document.querySelector('.pagefind-ui__message').textContent.includes('{query}')")
    _settled(browser)
    while browser.evaluate("!!document.querySelector('.pagefind-ui__button')"):   # "load more results"
        n = browser.evaluate("document.querySelectorAll('.pagefind-ui__result-link').length")
        browser.evaluate("document.querySelector('.pagefind-ui__button').click()")
        browser.wait_for(f"document.querySelectorAll('.pagefind-ui__result-link').length > {n}")
        _settled(browser)
    return [tuple(x) for x in browser.evaluate(
        "Array.from(document.querySelectorAll('.pagefind-ui__result-link')).map(a => [a.href, a.textContent])")]


@pytest.mark.browser
@pytest.mark.slow
def test_searching_in_headless_chromium_finds_the_sdl_trials_and_gladsaxe(site_dir, report, built, served, tmp_path):
    if report.search is None:
        missing(f"Pagefind is not installed ({search.INSTALL}); the test extra installs it")
    from browser import Chromium
    from test_site import chromium

    shots = artefacts(tmp_path)
    sdl = built.base + "id/statute/sdl"
    exempted = {r["t"].value for r in built.store.query(f"""PREFIX fk: <{FK}> SELECT DISTINCT ?t WHERE {{
        ?t fk:exemptsFrom ?p . FILTER(?p = <{sdl}> || EXISTS {{ ?p fk:statute <{sdl}> }}) }}""")}
    assert len(exempted) >= 3
    gladsaxe = next(m for m in built.records.municipalities if m["name"] == "Gladsaxe")
    browser = Chromium(chromium(), tmp_path / "profile", width=1200, height=1000)
    try:
        browser.open(served + "search.html?q=sygedagpenge")
        found = _results(browser, "sygedagpenge")
        browser.screenshot(shots / "search-sygedagpenge.png")
        urls = {u for u, _ in found}
        assert {served + t.removeprefix(built.base) + ".html" for t in exempted} <= urls
        for url in list(urls)[:5]:   # results lead to pages that exist on the server
            assert urllib.request.urlopen(url, timeout=5).status == 200
        # a visitor types into the search box on the index and presses Enter
        browser.open(served + "index.html")
        browser.wait_for("document.readyState === 'complete' && !!document.querySelector('form[role=search] input')")
        browser.evaluate("(() => { const f = document.querySelector('form[role=search]');"
                         " f.querySelector('input').value = 'Gladsaxe'; f.submit(); return true })()")
        found = _results(browser, "Gladsaxe")
        browser.screenshot(shots / "search-gladsaxe.png")
        page = served + f"id/municipality/{gladsaxe['code']}.html"
        assert page in {u for u, _ in found}
        assert any(u == page and "Gladsaxe" in t for u, t in found)
    finally:
        browser.close()
    assert (shots / "search-sygedagpenge.png").stat().st_size > 10_000


@pytest.mark.browser
@pytest.mark.slow
def test_narrow_table_columns_never_break_a_word(site_dir, built, served, tmp_path):
    """At a phone's width, no word in a table cell is split over two lines ("dispensa tion")."""
    from browser import Chromium
    from test_site import chromium

    shots = artefacts(tmp_path)
    sol = next(iter(built.store.query(f"""PREFIX fk: <{FK}> SELECT ?t WHERE {{
        ?e a fk:Exemption ; fk:trial ?t ; fk:kind fk:kind-dispensation }} LIMIT 1""")))
    rel = sol["t"].value.removeprefix(built.base) + ".html"
    browser = Chromium(chromium(), tmp_path / "profile", width=420, height=900)
    split_words = """(() => { const out = [];
      for (const cell of document.querySelectorAll('main td, main th')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          for (const m of n.textContent.matchAll(/[\\p{L}\\p{N}]{4,}/gu)) {
            const r = document.createRange(); r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
            const tops = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
            if (tops.size > 1) out.push(m[0]);
          } } }
      return out; })()"""
    try:
        for url, name in ((served + rel, "trial-narrow.png"), (served + "queries/exemptions.html", "exemptions-narrow.png")):
            browser.open(url)
            browser.wait_for("document.readyState === 'complete' && document.querySelectorAll('main td').length > 0")
            assert browser.evaluate("document.body.innerText.includes('dispensation')")
            assert browser.evaluate(split_words) == [], url
            browser.screenshot(shots / name)
    finally:
        browser.close()
