"""Peak memory and time of `fkgraph query --endpoint` on the worst answers the size cap lets in.

    python benchmarks/answers.py [--mb 63.9] [--runs 1] [--src DIR ...]
    python benchmarks/answers.py --url http://127.0.0.1:7878/query --query 'CONSTRUCT WHERE { ?s ?p ?o }'

Each case is an answer just under the default cap (SPARQL results or N-Triples), served from a
file by a server process of its own; each `--src` (a checkout's src/ folder, default this one's)
answers every case in turn, side by side, through a small launcher that reports the command's
`ru_maxrss` from `wait4` (so the peak is the command's alone).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JSON, XML, TSV, NT = ("application/sparql-results+json", "application/sparql-results+xml",
                      "text/tab-separated-values", "application/n-triples")


def nested(depth: int) -> str:
    term = '{"type":"uri","value":"http://a"}'
    for _ in range(depth):
        term = ('{"type":"triple","value":{"subject":{"type":"uri","value":"http://a"},'
                '"predicate":{"type":"uri","value":"http://p"},"object":' + term + '}}')
    return term


def fill(head: bytes, item: bytes, sep: bytes, tail: bytes, size: int) -> bytes:
    n = max(1, (size - len(head) - len(tail)) // (len(item) + len(sep)))
    return head + sep.join([item] * n) + tail


def cases(size: int) -> dict[str, tuple[str, bytes]]:
    jhead, jtail = b'{"head":{"vars":["x"]},"results":{"bindings":[', b"]}}"
    return {
        "JSON, triple terms nested 29 deep (the most let in)": (JSON, fill(jhead, b'{"x":' + nested(29).encode() + b"}", b",", jtail, size)),
        "JSON, one short IRI a row": (JSON, fill(jhead, b'{"x":{"type":"uri","value":"a:"}}', b",", jtail, size)),
        "JSON, empty rows": (JSON, fill(jhead, b"{}", b",", jtail, size)),
        "XML, empty rows": (XML, fill(b'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="x"/>'
                                      b"</head><results>", b"<result/>", b"", b"</results></sparql>", size)),
        "TSV, empty rows": (TSV, fill(b"?x\n", b"", b"\n", b"\n", size)),
        "N-Triples, short triples": (NT, fill(b"", b"<a:> <a:> <a:> .", b"\n", b"\n", size)),
    }


SERVER = r"""
import http.server, sys
body, ctype = open(sys.argv[1], 'rb').read(), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.send_response(200); self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    do_POST = do_GET
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""

LAUNCH = r"""
import os, sys, time
t = time.monotonic()
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1)
    os.execv(sys.executable, [sys.executable] + sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), round(time.monotonic() - t, 2), usage.ru_maxrss, flush=True)
"""


def measure(src: Path, url: str, query: str) -> tuple[int, float, int, str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    r = subprocess.run([sys.executable, "-c", LAUNCH, "-m", "fkgraph", "--home", str(ROOT), "query", "--sparql", query,
                        "--endpoint", url, "--timeout", "120"], capture_output=True, text=True, env=env)
    code, took, kb = r.stdout.split()
    return int(code), float(took), int(kb), (r.stderr.strip().splitlines() or [""])[-1][:100]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=63.9)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--src", nargs="*", default=[str(ROOT / "src")])
    ap.add_argument("--only", default="", help="comma-separated parts of case names")
    ap.add_argument("--url", help="measure this endpoint instead (a real answer), with --query")
    ap.add_argument("--query", default="CONSTRUCT WHERE { ?s ?p ?o }")
    args = ap.parse_args()
    if args.url:
        for src in args.src:
            code, took, kb, line = max((measure(Path(src), args.url, args.query) for _ in range(args.runs)),
                                       key=lambda m: m[2])
            print(f"{args.query} | {src} | exit {code}, {took:.2f} s, {kb / 1024:.0f} MB | {line}", flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, (ctype, body) in cases(int(args.mb * 1_000_000)).items():
            if args.only and not any(o in name for o in args.only.split(",")):
                continue
            path = Path(tmp) / "body"
            path.write_bytes(body)
            del body
            server = subprocess.Popen([sys.executable, "-c", SERVER, str(path), ctype], stdout=subprocess.PIPE, text=True)
            try:
                url = f"http://127.0.0.1:{server.stdout.readline().strip()}/sparql"
                query = "CONSTRUCT WHERE { ?s ?p ?o }" if ctype == NT else "SELECT * WHERE { ?s ?p ?o }"
                for src in args.src:
                    worst = max((measure(Path(src), url, query) for _ in range(args.runs)), key=lambda m: m[2])
                    code, took, kb, line = worst
                    print(f"{name} | {path.stat().st_size / 1e6:.1f} MB | {src} | exit {code}, {took:.2f} s, "
                          f"{kb / 1024:.0f} MB | {line}", flush=True)
            finally:
                server.terminate()
                server.wait()
        time.sleep(0)


if __name__ == "__main__":
    main()
