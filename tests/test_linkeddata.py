"""Linked data that resolves (issue 22): every IRI of the dump dereferenced through a real Apache 2.4
serving the site with its own .htaccess and a real nginx with docs/nginx.md's recipe, each Accept type answered with a 303 to a document that an
independent parser (rdflib) reads and that describes the IRI; documents that link both ways; links
out to the municipality register and Retsinformation, counted in VoID."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin

import pytest
import rdflib
import requests
from rdflib import RDF, RDFS, URIRef

import fkgraph
from fkgraph import config
from fkgraph.publishing import website

from conftest import ROOT
from servers import HOST, free_port, wait_listening

DEFAULT = "https://w3id.org/fkgraph/"
ONTOLOGY = "https://w3id.org/fkgraph/ontology"
FK = ONTOLOGY + "#"
ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
REGISTER = "https://api.dataforsyningen.dk/kommuner/"
RETSINFORMATION = "https://www.retsinformation.dk/eli/"
#: Accept header → (extension of the document it must be sent to, rdflib format or None for HTML)
ACCEPT = {
    "text/html": ("html", None),
    "text/turtle": ("ttl", "turtle"),
    "application/n-triples": ("nt", "nt"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/rdf+xml": ("rdf", "xml"),
    "text/html;q=0.1, text/turtle": ("ttl", None),
    "application/rdf+xml, text/turtle;q=0.5, */*;q=0.1": ("rdf", None),
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": ("html", None),
}
MODULES = {"mpm_event": "mod_mpm_event", "authz_core": "mod_authz_core", "mime": "mod_mime", "dir": "mod_dir",
           "rewrite": "mod_rewrite", "headers": "mod_headers", "negotiation": "mod_negotiation"}


def apache2() -> tuple[str, Path]:
    """Debian's apache2 binary and its modules folder; skip without them, fail under FKGRAPH_STRICT=1."""
    exe = shutil.which("apache2") or ("/usr/sbin/apache2" if Path("/usr/sbin/apache2").is_file() else None)
    modules = Path("/usr/lib/apache2/modules")
    if exe and all((modules / f"{m}.so").is_file() for m in MODULES.values()):
        return exe, modules
    from conftest import missing

    missing("needs Debian's apache2 (apt-get install apache2) to serve the site; .ci/run installs it and runs this test")


class Apache:
    """apache2 in the foreground on 127.0.0.1:PORT with a throwaway config, stopped by its own PID."""

    def __init__(self, docroot: Path, workdir: Path, port: int):
        self.exe, modules = apache2()
        self.port, self.workdir = port, workdir
        loads = "\n".join(f"LoadModule {name}_module {modules}/{so}.so" for name, so in MODULES.items())
        self.conf = workdir / "httpd.conf"
        self.conf.write_text(f"""ServerRoot {workdir}
Listen {HOST}:{port}
ServerName {HOST}
PidFile {workdir}/httpd.pid
ErrorLog {workdir}/error.log
LogLevel warn
{loads}
TypesConfig /etc/mime.types
DocumentRoot {docroot}
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory {docroot}>
  AllowOverride All
  Require all granted
</Directory>
""")
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Apache":
        self.process = subprocess.Popen([self.exe, "-f", str(self.conf), "-DFOREGROUND"], stdout=subprocess.DEVNULL,
                                        stderr=open(self.workdir / "stderr.log", "wb"))
        wait_listening(self.port, self.process)
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()  # the parent stops its children
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return (self.workdir / "error.log").read_text(errors="replace")[-3000:]


NGINX_JS = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")


def nginx() -> str:
    """Debian's nginx with njs; skip without them, fail under FKGRAPH_STRICT=1."""
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if exe and NGINX_JS.is_file():
        return exe
    from conftest import missing

    missing("needs Debian's nginx and njs (apt-get install nginx-light libnginx-mod-http-js); .ci/run installs them")


def nginx_recipe() -> tuple[str, str, str]:
    """docs/nginx.md's fkgraph.js, its `http { }` lines and its `server { }` lines, as published."""
    text = (ROOT / "docs" / "nginx.md").read_text(encoding="utf-8")
    js = re.findall(r"^```js\n(.*?)^```$", text, re.S | re.M)
    conf = re.findall(r"^```nginx\n(.*?)^```$", text, re.S | re.M)
    assert len(js) == 1 and len(conf) == 2, "docs/nginx.md: one js block, then the http and the server blocks"
    return js[0], conf[0], conf[1]


class Nginx(Apache):
    """nginx in the foreground on 127.0.0.1:PORT serving docroot with docs/nginx.md's recipe, its
    config, logs, pid and temporary files in workdir, stopped by its own PID."""

    def __init__(self, docroot: Path, workdir: Path, port: int):
        self.exe, self.port, self.workdir = nginx(), port, workdir
        js, http, server = nginx_recipe()
        (workdir / "fkgraph.js").write_text(js, encoding="utf-8")
        temp = "\n".join(f"{d}_temp_path {workdir}/{d};" for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # as root the workers would run as nobody, who cannot read a test's private temporary folder
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(f"""load_module {NGINX_JS};
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{}}
http {{
include /etc/nginx/mime.types;
access_log {workdir}/access.log;
{temp}
{http}
server {{
listen {HOST}:{port};
server_name {HOST};
root {docroot};
{server}
}}
}}
""")
        self.process = None

    def __enter__(self) -> "Nginx":
        self.process = subprocess.Popen([self.exe, "-p", str(self.workdir), "-c", str(self.conf),
                                         "-e", str(self.workdir / "error.log")],
                                        stdout=subprocess.DEVNULL, stderr=open(self.workdir / "stderr.log", "wb"))
        wait_listening(self.port, self.process)
        return self

    def log(self) -> str:
        return (self.workdir / "error.log").read_text(errors="replace")[-3000:] + (self.workdir / "stderr.log").read_text(errors="replace")


SERVERS = {"apache": (apache2, Apache), "nginx": (nginx, Nginx)}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def served(request, tmp_path_factory):
    """The site built by the CLI with `--base http://127.0.0.1:PORT/fkgraph/`, served there by Apache
    with the site's .htaccess, and by nginx with docs/nginx.md's recipe."""
    find, server_class = SERVERS[request.param]
    find()
    tmp = tmp_path_factory.mktemp(request.param)
    port = free_port()
    base = f"http://{HOST}:{port}/fkgraph/"
    (tmp / "www").mkdir()
    run = subprocess.run([sys.executable, "-m", "fkgraph", "--home", str(ROOT), "--base", base, "site",
                          "--output", str(tmp / "www" / "fkgraph"), "--gzip"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with server_class(tmp / "www", tmp, port) as server:
        yield base, tmp / "www" / "fkgraph", server


def _graph(path: Path, fmt: str = "turtle") -> rdflib.Graph:
    return rdflib.Graph().parse(path, format=fmt)


def _dereference(session: requests.Session, url: str, iri: str, accept: str, ext: str, fmt: str | None,
                 forward=lambda location: location, parse: bool = True) -> str | None:
    """Why `url` does not answer `accept` as it must, or None. The ontology's version IRI is
    described by the ontology's document (as its owl:versionIRI), every other IRI as a subject.
    `forward` is what the IRIs' host does with a Location under it (w3id's 307 to the site);
    without `parse`, RDF documents are checked by status, type and CORS only."""
    r = session.get(url, headers={"Accept": accept}, allow_redirects=False)
    stem = url.rsplit("/", 1)[-1]
    target = forward(urljoin(url, r.headers.get("Location", "")))
    if r.status_code != 303 or not target.startswith(url.rsplit("/", 1)[0] + "/"):
        return f"{url} [{accept}]: {r.status_code} {r.headers.get('Location')}"
    if not target.rsplit("/", 1)[-1].startswith(stem if stem != "ontology" else "") or not target.endswith("." + ext):
        return f"{url} [{accept}]: 303 to {target}, not a .{ext}"
    if fmt is None and ext != "html":
        return None  # the q-value cases: the choice is what they test
    doc = session.get(target)
    media = {"html": "text/html", "ttl": "text/turtle", "nt": "application/n-triples",
             "jsonld": "application/ld+json", "rdf": "application/rdf+xml"}[ext]
    if doc.status_code != 200 or not doc.headers.get("Content-Type", "").startswith(media):
        return f"{target}: {doc.status_code} {doc.headers.get('Content-Type')}"
    if ext == "html":
        return None if iri in doc.text else f"{target}: the page does not name {iri}"
    if doc.headers.get("Access-Control-Allow-Origin") != "*":
        return f"{target}: no Access-Control-Allow-Origin: *"
    if not parse:
        return None
    g = rdflib.Graph().parse(data=doc.content, format=fmt, publicID=target)
    if iri.startswith(ONTOLOGY + "/"):
        return None if (URIRef(ONTOLOGY), rdflib.OWL.versionIRI, URIRef(iri)) in g else f"{target}: no versionIRI {iri}"
    return None if (URIRef(iri), None, None) in g else f"{target}: {iri} is no subject in it"


@pytest.mark.slow  # about 40 s a server: 7,900 requests, 3,900 documents parsed
def test_the_server_dereferences_every_iri_of_the_dump_and_the_ontology_with_every_accept_type(served):
    base, root, server = served
    dump = _graph(root / "dump" / "fkgraph.nt", "nt")
    catalogue = _graph(root / "dcat.ttl") + _graph(root / "void.ttl")
    iris = sorted({str(n) for g in (dump, catalogue) for t in g for n in t
                   if isinstance(n, URIRef) and str(n).startswith(base + "id/")})
    version = str(next(_graph(root / "ontology" / "fk.ttl").objects(URIRef(ONTOLOGY), rdflib.OWL.versionIRI)))
    # the ontology's IRIs are w3id's whatever the data's base: served at the site's ontology path
    where = {iri: iri for iri in iris} | {ONTOLOGY: base + "ontology", version: base + version.removeprefix(DEFAULT)}
    failures, kinds, documents = [], Counter(), Counter()
    with requests.Session() as session:
        for iri, url in where.items():
            kinds[iri.removeprefix(base).split("/")[1] if iri in iris else "ontology"] += 1
            for accept, (ext, fmt) in ACCEPT.items():
                why = _dereference(session, url, iri, accept, ext, fmt)
                if why:
                    failures.append(why)
                elif fmt or ext == "html" and accept == "text/html":
                    documents[ext] += 1
    print(f"\n{len(where)} IRIs dereferenced ({dict(kinds)}), {len(where) * len(ACCEPT)} requests, "
          f"documents read {dict(documents)}, {len(failures)} failures")
    assert failures == [], failures[:20] + [server.log()]
    assert len(iris) > 845 and kinds["exemption"] == 155 and kinds["dataset"] > 10


@pytest.fixture(scope="module", params=sorted(SERVERS))
def served_default(request, tmp_path_factory, default_site):
    """The site under the default base (https://w3id.org/fkgraph/), served at /fkgraph/ as w3id
    forwards there: by Apache with its .htaccess, and by nginx with docs/nginx.md's recipe."""
    find, server_class = SERVERS[request.param]
    find()
    tmp = tmp_path_factory.mktemp(request.param + "-default")
    shutil.copytree(default_site, tmp / "www" / "fkgraph", symlinks=True)
    port = free_port()
    with server_class(tmp / "www", tmp, port) as server:
        yield f"http://{HOST}:{port}/fkgraph/", server


@pytest.mark.slow  # about 15 s a server: 8,000 requests, documents checked by status and type
def test_under_the_default_base_every_iri_resolves_through_the_w3id_forward(served_default, default_site):
    """Each w3id IRI, forwarded to the site with its path (as w3id's 307 does), answers every Accept
    with a 303 whose Location, forwarded the same way, is the document, served with its type."""
    site, server = served_default
    def forward(url: str) -> str:
        return site + url.removeprefix(DEFAULT) if url.startswith(DEFAULT) else url
    graphs = (_graph(default_site / "dump" / "fkgraph.nt", "nt"), _graph(default_site / "dcat.ttl"), _graph(default_site / "void.ttl"))
    iris = sorted({str(n) for g in graphs for t in g for n in t if isinstance(n, URIRef) and str(n).startswith(DEFAULT + "id/")})
    version = str(next(_graph(default_site / "ontology" / "fk.ttl").objects(URIRef(ONTOLOGY), rdflib.OWL.versionIRI)))
    failures = []
    with requests.Session() as session:
        for iri in iris + [ONTOLOGY, version]:
            for accept, (ext, fmt) in ACCEPT.items():
                why = _dereference(session, forward(iri), iri, accept, ext, fmt, forward=forward, parse=False)
                if why:
                    failures.append(why)
    print(f"\n{len(iris) + 2} w3id IRIs x {len(ACCEPT)} Accept types, {len(failures)} failures")
    assert failures == [], failures[:20] + [server.log()]
    assert len(iris) > 845


@pytest.mark.slow  # the site built for the server's base, then Apache: about 20 s
def test_files_are_served_directly_with_cors_and_the_ontology_iri_gives_its_documentation(served):
    base, root, server = served
    with requests.Session() as s:
        for rel in ("dcat.ttl", "void.ttl", ".well-known/void", "index.html", "ontology/", "dump/context.jsonld"):
            r = s.get(base + rel, allow_redirects=False)
            assert r.status_code == 200, (rel, r.status_code, r.headers.get("Location"), server.log())
        for rel in ("dcat.ttl", "void.ttl", ".well-known/void"):
            r = s.get(base + rel)
            assert r.headers["Content-Type"].startswith("text/turtle") and r.headers["Access-Control-Allow-Origin"] == "*"
            assert len(rdflib.Graph().parse(data=r.content, format="turtle")) > 50
        urls = [str(u) for u in _graph(root / "dcat.ttl").objects(None, DCAT.downloadURL)]
        assert len(urls) == 6  # three formats, each also gzipped
        for url in urls:
            r = s.get(url, allow_redirects=False)
            assert r.status_code == 200 and len(r.content) == (root / url.removeprefix(base)).stat().st_size, url
        r = s.get(base, allow_redirects=False)
        assert r.status_code == 200 and "<html" in r.text
        # the ontology IRI: the documentation `fkgraph docs` writes, with its #Term anchors
        r = s.get(base + "ontology", headers={"Accept": "text/html"})
        assert r.url == base + "ontology/index.html" and 'id="Trial"' in r.text and r.history[0].status_code == 303
        # an identifier asked for a type no document has: 406 with the list of documents, not a guess
        r = s.get(base + "id/statute/lab", headers={"Accept": "image/png"}, allow_redirects=False)
        assert r.status_code == 406 and "lab.ttl" in r.text


@pytest.fixture(scope="module")
def default_site(tmp_path_factory, built) -> Path:
    """The site under the default base, as `fkgraph site` writes it."""
    out = tmp_path_factory.mktemp("site-default") / "public"
    website.build(built, out, queries_dir=config.queries_dir(ROOT), ontology_file=config.ontology_file(ROOT))
    return out


def _doc(site: Path, iri: str) -> rdflib.Graph:
    return _graph(site / (iri.removeprefix(DEFAULT) + ".ttl"))


def test_every_iri_has_its_documents_and_type_map_under_the_default_base(default_site):
    out = default_site
    dump = _graph(out / "dump" / "fkgraph.nt", "nt")
    iris = {str(n) for t in dump for n in t if isinstance(n, URIRef) and str(n).startswith(DEFAULT + "id/")}
    assert len(iris) >= 845
    for iri in iris:
        stem = out / iri.removeprefix(DEFAULT)
        for ext in ("html", "ttl", "nt", "jsonld", "rdf", "var"):
            assert stem.with_name(stem.name + "." + ext).is_file(), (iri, ext)
    rules = (out / ".htaccess").read_text()
    assert "RewriteRule ^(.+)\\.(html|ttl|nt|jsonld|rdf)\\.303$ https://w3id.org/fkgraph/$1.$2 [R=303,L]" in rules
    assert "R=302" not in rules  # no file is redirected (to itself)
    for ext in ("html", "ttl", "nt", "jsonld", "rdf", "var"):
        assert (out / "ontology" / ("index.html" if ext == "html" else "fk." + ext if ext != "var" else f"{fkgraph.__version__}.var")).is_file()


def test_a_statutes_document_names_its_provisions_and_the_trials_exempted_from_them(default_site, built):
    lab = DEFAULT + "id/statute/lab"
    rows = list(built.store.query(f"""PREFIX fk: <{FK}> PREFIX eli: <{ELI}>
        SELECT ?prov ?trial WHERE {{ ?prov eli:is_part_of+ <{lab}> OPTIONAL {{ ?trial fk:exemptsFrom ?prov }} }}"""))
    provisions = {r["prov"].value for r in rows}
    trials = {r["trial"].value for r in rows if r["trial"] is not None}
    assert len(provisions) > 30 and len(trials) >= 15  # LAB: 15 trials, 37 provisions (README)
    g = _doc(default_site, lab)
    named = {str(s) for s in g.subjects(ELI.is_part_of, None)}
    exempted = {str(s) for s in g.subjects(URIRef(FK + "exemptsFrom"), None)}
    assert provisions <= named and trials <= exempted
    assert all(g.value(URIRef(p), URIRef("http://www.w3.org/2004/02/skos/core#notation")) for p in provisions)
    assert all(g.value(URIRef(t), RDFS.label) for t in trials)  # each named, so a client can show it
    html = (default_site / "id" / "statute" / "lab.html").read_text(encoding="utf-8")
    assert all(f'href="lab/{p.removeprefix(lab + "/")}.html"' in html for p in provisions if p.count("/") == lab.count("/") + 1)


def test_networks_municipalities_and_parent_trials_list_their_trials_in_their_documents(default_site, built):
    for prop, where in (("network", "?t fk:network ?x"), ("municipality", "?t fk:municipality ?x"),
                        ("parent", "?t dcterms:isPartOf ?x . ?x a fk:Trial")):
        rows = list(built.store.query(f"""PREFIX fk: <{FK}> PREFIX dcterms: <http://purl.org/dc/terms/>
            SELECT ?x ?t WHERE {{ {where} }}"""))
        assert rows, prop
        for r in rows:
            assert (URIRef(r["t"].value), None, URIRef(r["x"].value)) in _doc(default_site, r["x"].value), (prop, r)


def test_every_municipality_links_to_its_register_entry_and_statutes_to_retsinformation(default_site, built):
    import yaml

    codes = [m["code"] for m in yaml.safe_load((ROOT / "data" / "municipalities.yaml").read_text(encoding="utf-8"))]
    statutes = yaml.safe_load((ROOT / "data" / "statutes.yaml").read_text(encoding="utf-8"))
    elis = {s["id"].lower(): s["eli"] for s in statutes if s.get("eli")}
    assert len(codes) == 44 and len(elis) >= 2
    for code in codes:
        iri = URIRef(DEFAULT + f"id/municipality/{code}")
        assert set(_doc(default_site, str(iri)).objects(iri, RDFS.seeAlso)) == {URIRef(REGISTER + code)}
    for sid, eli in elis.items():
        iri = URIRef(DEFAULT + f"id/statute/{sid}")
        assert URIRef(eli) in set(_doc(default_site, str(iri)).objects(iri, RDFS.seeAlso))
    # no link out is guessed: every one to Retsinformation is a statutes.yaml `eli`
    dump = _graph(default_site / "dump" / "fkgraph.nt", "nt")
    assert {str(o) for o in dump.objects(None, RDFS.seeAlso) if str(o).startswith(RETSINFORMATION)} == set(elis.values())
    # and SHACL holds the register link to its pattern
    from fkgraph import api
    import pyoxigraph as ox
    store = ox.Store()
    store.extend(q for q in built.store if not (q.predicate.value == str(RDFS.seeAlso) and q.object.value == REGISTER + "0159"))
    report = api.validate(store, home=ROOT, engine="fast")
    assert not report.conforms and "DAGI" in str(report.results)


def test_void_describes_each_link_set_with_the_count_in_the_graph(default_site):
    dump = _graph(default_site / "dump" / "fkgraph.nt", "nt")
    void = _graph(default_site / "void.ttl")
    dataset = URIRef(DEFAULT + "id/dataset")
    linksets = set(void.subjects(RDF.type, VOID.Linkset))
    assert linksets == set(void.objects(dataset, VOID.subset)) and len(linksets) == 2
    spaces = set()
    for ls in linksets:
        predicate, target = void.value(ls, VOID.linkPredicate), void.value(ls, VOID.objectsTarget)
        space = str(void.value(target, VOID.uriSpace))
        spaces.add(space)
        assert void.value(ls, VOID.subjectsTarget) == dataset and (target, RDF.type, VOID.Dataset) in void
        in_graph = sum(1 for o in dump.objects(None, predicate) if isinstance(o, URIRef) and str(o).startswith(space))
        assert int(void.value(ls, VOID.triples)) == in_graph > 0, ls
    assert spaces == {REGISTER, RETSINFORMATION}


def test_jsonld_documents_use_friendly_terms_that_mean_the_same_triples(default_site, built):
    """What a JavaScript user reads (`trial.network`, `trial.label.da`) and what a JSON-LD processor
    (PyLD, not the writer's own library) reads are the same graph as the Turtle."""
    import json

    from pyld import jsonld

    row = next(iter(built.store.query(f"""PREFIX fk: <{FK}> PREFIX rdfs: <{RDFS}>
        SELECT ?t ?n ?l WHERE {{ ?t a fk:Trial ; fk:network ?n ; rdfs:label ?l FILTER(LANG(?l) = "da") }} LIMIT 1""")))
    trial = row["t"].value
    stem = default_site / trial.removeprefix(DEFAULT)
    doc = json.loads(stem.with_suffix(".jsonld").read_text(encoding="utf-8"))
    node = next(n for n in doc["@graph"] if n["id"] == trial)
    assert node["network"] == row["n"].value and node["label"]["da"] == row["l"].value
    assert doc["@context"]["network"] == {"@id": "fk:network", "@type": "@id"}
    context = json.loads((default_site / "dump" / "context.jsonld").read_text(encoding="utf-8"))
    assert context["@context"] == doc["@context"]  # one context: every document names a property alike
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads"})
    assert rdflib.Graph().parse(data=nquads, format="nt").isomorphic(_graph(stem.with_suffix(".ttl")))


def test_every_document_names_its_topic_and_dataset_so_none_is_a_dead_end(default_site):
    """A statute the sources name but no record cites still links back: its documents are
    `foaf:primaryTopic` of it and `void:inDataset` the dataset, and every format says so."""
    import pyoxigraph as ox

    topic, in_dataset = "http://xmlns.com/foaf/0.1/primaryTopic", str(VOID.inDataset)
    isolated, n = [], 0
    for path in sorted((default_site / "id").rglob("*.ttl")):
        iri = DEFAULT + path.relative_to(default_site).as_posix().removesuffix(".ttl")
        triples = {(t.subject.value, t.predicate.value, t.object.value) for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)}
        docs = {f"{iri}.{ext}" for ext in ("html", "ttl", "nt", "jsonld", "rdf")}
        assert {(d, p, o) for d in docs for p, o in ((topic, iri), (in_dataset, DEFAULT + "id/dataset"))} <= triples, iri
        others = {t[2] for t in triples if t[0] == iri} | {t[0] for t in triples if t[2] == iri and t[0] not in docs}
        if not {o for o in others if o.startswith(DEFAULT + "id/") and o != iri}:
            isolated.append(iri)  # links to nothing but through its documents
        n += 1
    assert n >= 933
    # those left are statutes of the citation grammar's index that no record cites (ASL, LSV …)
    import yaml

    statutes = {s["id"].lower() for s in yaml.safe_load((ROOT / "data" / "statutes.yaml").read_text(encoding="utf-8"))}
    def cites(node):
        if isinstance(node, dict):
            yield from (c for k, v in node.items() for c in (v if k == "cites" else cites(v)))
        elif isinstance(node, list):
            yield from (c for v in node for c in cites(v))

    cited = {c.split()[0].lower() for f in (ROOT / "data").rglob("*.yaml") for c in cites(yaml.safe_load(f.read_text(encoding="utf-8")))}
    assert {"sl", "lab", "autl", "taxl"} <= cited
    assert all(i.startswith(DEFAULT + "id/statute/") and i.rsplit("/", 1)[1] in statutes - cited for i in isolated), isolated
    print(f"\n{n} documents; {len(isolated)} resources link to nothing but through their documents: {isolated}")


def test_applications_link_to_the_statutes_their_sources_name_and_those_statutes_back(default_site):
    """An application's `cites` (AUTL, DBL § 5, stk. 3, TAXL …, named by the source for the
    application or its decision) is a dcterms:references both documents carry."""
    import yaml

    references = URIRef("http://purl.org/dc/terms/references")
    cited = [(a["id"], c) for f in sorted((ROOT / "data" / "networks").glob("*.yaml"))
             for a in (yaml.safe_load(f.read_text(encoding="utf-8")).get("applications") or []) for c in a.get("cites") or []]
    assert len(cited) >= 4
    for app, cite in cited:
        iri = URIRef(DEFAULT + f"id/application/frikommune-ii/{app}")
        statute = DEFAULT + "id/statute/" + cite.split()[0].lower()
        named = {o for o in _doc(default_site, str(iri)).objects(iri, references) if o == URIRef(statute) or o.startswith(statute + "/")}
        assert named, (app, cite)
        assert all((iri, references, o) in _doc(default_site, statute) for o in named), (app, cite)
