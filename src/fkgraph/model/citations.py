"""Danish legal citations: parse official wording into atomic provisions, and write them back.

A citation names a statute and, usually, a place in it: `§ 70 d, stk. 1, 3. pkt. i lov om en
aktiv beskæftigelsesindsats`. fkgraph needs each cited place as one *atomic provision*
(`Provision`): a statute abbreviation (the `id` of `data/statutes.yaml`) and a path of
subdivisions, with a canonical text in the official form (`LAB § 70 d, stk. 1, 3. pkt.`).

The parser is a tokenizer and a small recursive-descent parser over this grammar (EBNF; literal
words are matched case-insensitively, `{…}` repeats, `[…]` is optional)::

    text          = { citation | other-token } ;
    citation      = [ "jf." ] ( statute-ref | section-group | chapter-group ) ;
    statute-ref   = statute [ "mv." ] [ "," ] [ section-group | chapter-group ] ;
                    (* no group: the whole statute, marked "unspecified" *)
    chapter-group = "kap." values [ [","] section-group ] ;
                    (* "kap. 24, § 125": the chapter only locates the §; the § is cited *)
    section-group = ( "§" | "§§" ) item { continuation } [ [","] ( "i" | "efter" ) statute ] ;
    item          = values { [","] designator values } ;
    continuation  = separator values                 (* a sibling at the current level *)
                  | [ separator ] designator values  (* a deeper level, or a sibling of it *)
    designator    = "stk." | "nr." | "litra" | ordinal-pkt ;
    ordinal-pkt   = ordinal { separator ordinal } "pkt." ;   (* "1. og 2. pkt." *)
    values        = value [ dash value ] { separator value [ dash value ] } ;
    value         = number [ letter ] ;              (* "11a" and "11 a" are both "11 a" *)
    separator     = "," | "og" | "eller" | ", og" | ", eller" ;
    statute       = any abbreviation, title or variant of `data/statutes.yaml`, also in the
                    genitive ("servicelovens"), and "lov/bekendtgørelse nr. N af <date> [om …]" ;

Readings (the seeds' conventions, documented in issue 4):

* Ranges expand to their whole-numbered members only: `§§ 27-31` is 27…31, not 30 a.
* A list shares its § sign or its "stk.": `§ 28, stk. 3, 4 og 5` is three provisions. After a
  plural `§§`, a value that follows a *comma* goes back to the § level (`§§ 16, stk. 1, og 27`
  is § 16, stk. 1 and § 27) while one joined by a bare "og" stays at the current level
  (`47, stk. 1 og 2` is stk. 1 and stk. 2 of § 47).
* A trailing `i <statute>` (or `efter <statute>`) binds the § group right before it, and every
  earlier § group with no statute named before it. Otherwise a § group belongs to the statute
  named last before it, unless a statute that follows in the same sentence after "i" or "efter"
  claims it (`et § 109 tilbud efter serviceloven`); with no statute at all it takes `default`
  (see `parse`) or is an error.
* A statute named without any § is a citation of the whole statute, marked "unspecified" —
  except a plain-noun variant such as "folkeskolen", which names the act only before a §.
* `jf.` right after a citation (`§ 46, jf. § 30 a`, `§ 18, stk. 4 i forhold til jf. § 2`) marks
  the next citation (one § group, or a statute named alone) as a cross-reference. After a noun
  (`Hjælpeordning jf. servicelovens § 95`, `mikrolån, jf. … § 65-67`) "jf." introduces the
  citation itself, which is then an ordinary one.
* Text that is not a citation is skipped. Text that starts a citation and cannot finish it (an
  unknown statute next to a §, `§ t`, a § group with no statute) raises `CitationError`.

This module imports nothing from fkgraph (it is second in the data flow); `StatuteIndex`
is built from the parsed records of `data/statutes.yaml`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from fkgraph.errors import DataError

__all__ = [
    "LEVELS", "LEVEL_NAMES", "NOTES", "Provision", "CitationError", "StatuteIndex",
    "parse", "parse_one", "iter_provisions", "tokenize", "Token", "normalize_value",
]

#: Subdivision levels, outermost first: chapter, §, stk., nr., litra, pkt.
LEVELS = ("kap", "p", "stk", "nr", "litra", "pkt")
#: English names of the levels (the subdivision types of the graph).
LEVEL_NAMES = {"kap": "chapter", "p": "section", "stk": "subsection", "nr": "item",
               "litra": "letter", "pkt": "sentence"}
#: The notes a parsed Provision may carry.
NOTES = ("", "cross-reference", "unspecified")

_RANK = {level: i for i, level in enumerate(LEVELS)}
_MAX_RANGE = 400          # a range wider than this is an error, not 400 provisions
#: The most provisions the ranges of one text may expand to together (each range alone is
#: bounded by _MAX_RANGE); the real data's largest text cites 17.
MAX_PROVISIONS = 2000
_MAX_DIGITS = 6           # numbers longer than this are not provision numbers

_VALUE_RE = {
    "kap": re.compile(r"[1-9][0-9]{0,5}( [a-zæøå])?"),
    "p": re.compile(r"[1-9][0-9]{0,5}( [a-zæøå])?"),
    "stk": re.compile(r"[1-9][0-9]{0,5}"),
    "nr": re.compile(r"[1-9][0-9]{0,5}( [a-zæøå])?"),
    "litra": re.compile(r"[a-zæøå]"),
    "pkt": re.compile(r"[1-9][0-9]{0,5}"),
}


# --------------------------------------------------------------------------------------------
# Provisions
# --------------------------------------------------------------------------------------------

def normalize_value(level: str, value: str) -> str:
    """The canonical spelling of one path value: "11a", "11 a", "011 A" → "11 a"."""
    v = re.sub(r"\s+", "", str(value)).lower()
    if level == "litra":
        return v
    m = re.fullmatch(r"0*(\d+)([a-zæøå]?)", v)
    if not m:
        return v
    digits, letter = m.groups()
    digits = digits or "0"
    return f"{digits} {letter}" if letter else digits


def _check_path(path: tuple[tuple[str, str], ...]) -> None:
    last = -1
    for i, step in enumerate(path):
        if not (isinstance(step, tuple) and len(step) == 2):
            raise ValueError(f"path step {step!r} is not a (level, value) pair")
        level, value = step
        if level not in _RANK:
            raise ValueError(f"unknown level {level!r} (valid: {', '.join(LEVELS)})")
        if _RANK[level] <= last:
            raise ValueError(f"level {level!r} out of order in {path!r}")
        if level == "kap" and len(path) > 1:
            raise ValueError("a chapter citation has no deeper levels (the § is cited instead)")
        if i == 0 and level not in ("kap", "p"):
            raise ValueError(f"a path starts with a chapter or a §, not {level!r}")
        if not isinstance(value, str) or not _VALUE_RE[level].fullmatch(value):
            raise ValueError(f"{level} value {value!r} is not canonical")
        last = _RANK[level]


@dataclass(frozen=True, order=True)
class Provision:
    """One atomic cited provision: a statute and a path of subdivisions.

    `path` is a tuple of (level, value) pairs in `LEVELS` order, e.g.
    `(("p", "70 d"), ("stk", "1"), ("pkt", "3"))`; `()` is the whole statute. `note` is "",
    "cross-reference" (cited after "jf.") or "unspecified" (a statute named without a §).
    """

    statute: str
    path: tuple[tuple[str, str], ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if not self.statute or not isinstance(self.statute, str):
            raise ValueError("a provision needs a statute abbreviation")
        object.__setattr__(self, "path", tuple(tuple(step) for step in self.path))
        _check_path(self.path)
        if self.note not in NOTES:
            raise ValueError(f"unknown note {self.note!r} (valid: {', '.join(map(repr, NOTES))})")

    # -- text ------------------------------------------------------------------------------
    def provision_text(self) -> str:
        """The canonical text without the statute: `§ 70 d, stk. 1, 3. pkt.` ("" for a statute)."""
        parts = []
        for level, value in self.path:
            if level == "kap":
                parts.append(f"kap. {value}")
            elif level == "p":
                parts.append(f"§ {value}")
            elif level == "stk":
                parts.append(f"stk. {value}")
            elif level == "nr":
                parts.append(f"nr. {value}")
            elif level == "litra":
                parts.append(f"litra {value}")
            else:
                parts.append(f"{value}. pkt.")
        return ", ".join(parts)

    def canonical(self) -> str:
        """The canonical citation: `SL § 70 d, stk. 1, 3. pkt.`, `SL kap. 24`, or `SL`."""
        rest = self.provision_text()
        return f"{self.statute} {rest}" if rest else self.statute

    def __str__(self) -> str:
        return self.canonical()

    # -- hierarchy -------------------------------------------------------------------------
    @property
    def level(self) -> str | None:
        """The level of the innermost subdivision ("p", "stk", …), None for a whole statute."""
        return self.path[-1][0] if self.path else None

    @property
    def number(self) -> str | None:
        """The number (value) of the innermost subdivision: "70 d", "1", "b"; None for a statute."""
        return self.path[-1][1] if self.path else None

    def parent(self) -> Provision | None:
        """One level up (stk → §, § → whole statute, statute → None); the note is dropped."""
        if not self.path:
            return None
        return Provision(self.statute, self.path[:-1])

    def ancestors(self) -> list[Provision]:
        """Every level above this one, innermost first, ending with the whole statute."""
        out, p = [], self.parent()
        while p is not None:
            out.append(p)
            p = p.parent()
        return out

    def without_note(self) -> Provision:
        return Provision(self.statute, self.path) if self.note else self

    def sort_key(self) -> tuple:
        """A natural order: by statute, then numerically by path (§ 9 before § 10 before § 10 a)."""
        key = []
        for level, value in self.path:
            m = re.match(r"(\d+)\s*(\S*)", value)
            key.append((_RANK[level], int(m.group(1)) if m else 0, m.group(2) if m else value))
        return (self.statute, tuple(key), self.note)

    def to_dict(self) -> dict[str, str]:
        """A row for tables, CSV and JSON: statute, provision (canonical, "" for a statute), note."""
        return {"statute": self.statute, "provision": self.provision_text(), "note": self.note}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

class CitationError(DataError):
    """Text that starts a citation and cannot finish it. Carries `offset` and `text`."""

    def __init__(self, message: str, text: str, offset: int) -> None:
        self.message = message
        self.text = text
        self.offset = max(0, min(int(offset), len(text)))
        super().__init__(message, text, self.offset)

    def context(self, width: int = 30) -> str:
        """The text around the offset, on one line, with `⟨here⟩` marking the offset."""
        lo, hi = max(0, self.offset - width), min(len(self.text), self.offset + width)
        before = self.text[lo:self.offset]
        after = self.text[self.offset:hi]
        clean = lambda s: re.sub(r"\s+", " ", s)  # noqa: E731
        return (("…" if lo > 0 else "") + clean(before) + "⟨here⟩" + clean(after)
                + ("…" if hi < len(self.text) else ""))

    def __str__(self) -> str:
        return f"{self.message} at offset {self.offset}: {self.context()!r}"


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str      # SECT SECTS NUM WORD STK NR PKT LITRA KAP JF MV DASH COMMA DOT LPAR RPAR PUNCT
    text: str      # as written
    start: int     # character offset
    end: int

    @property
    def key(self) -> str:
        """The form used to match statute names: lower case; numbers normalised."""
        if self.kind == "NUM":
            return normalize_value("p", self.text)
        if self.kind in _FIXED_KEYS:
            return _FIXED_KEYS[self.kind]
        return self.text.lower()


_FIXED_KEYS = {"STK": "stk.", "NR": "nr.", "PKT": "pkt.", "KAP": "kap.", "JF": "jf.", "MV": "mv.",
               "DASH": "-", "SECT": "§", "SECTS": "§§"}

_TOKEN_RE = re.compile(
    r"""
    (?P<WS>\s+)
  | (?P<SECTS>§\s*§)
  | (?P<SECT>§)
  | (?P<STK>(?:stk|stykke|stykker)(?![\w])\.?)
  | (?P<NR>(?:nr|numre|nummer)(?![\w])\.?)
  | (?P<PKT>(?:pkt|punktum|punktummer)(?![\w])\.?)
  | (?P<LITRA>litra(?![\w]))
  | (?P<KAP>(?:kap|kapitel|kapitler|kapitlerne)(?![\w])\.?)
  | (?P<JF>(?:jf|jfr|jvf)(?![\w])\.?)
  | (?P<MV>(?:m\.\s?v|m\.\s?fl|mv|mfl)(?![\w])\.?)
  | (?P<NUM>\d+(?:[a-zæøå](?![\w]))?)
  | (?P<WORD>[^\W\d_]\w+(?:[-‐]\w+)*|[^\W\d_])
  | (?P<DASH>[-‐‑‒–—])
  | (?P<COMMA>,)
  | (?P<DOT>\.)
  | (?P<LPAR>[(\[])
  | (?P<RPAR>[)\]])
  | (?P<PUNCT>.)
    """,
    re.VERBOSE | re.IGNORECASE | re.DOTALL,
)


def tokenize(text: str) -> list[Token]:
    """Split text into tokens (whitespace dropped); every character belongs to one token."""
    out = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        if kind == "WS":
            continue
        out.append(Token(kind, m.group(), m.start(), m.end()))
    return out


# --------------------------------------------------------------------------------------------
# Statute index
# --------------------------------------------------------------------------------------------

_NAME_HEADS = {"lov", "bekendtgørelse", "lovbekendtgørelse", "bekendtgørelsen", "cirkulære"}
_MONTHS = {"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"}
_END = "\0"   # trie key of a terminal: maps to the statute id


def _key_tokens(name: str) -> list[str]:
    return [t.key for t in tokenize(name)]


@dataclass(frozen=True)
class StatuteIndex:
    """Statute names → abbreviations, built from `data/statutes.yaml`.

    Names are matched token by token, case-insensitively, also in the genitive (a trailing
    "s" on the last word: "servicelovens", "LAB-lovens", "folkeskolens"). An executive order
    or act cited by number and date ("bekendtgørelse nr. 996 af 29. juni 2016 [om …]") matches
    a variant that gives the number and date, or the title that follows the date.
    """

    records: tuple[dict, ...] = field(default=(), compare=False, repr=False)
    ids: tuple[str, ...] = ()
    _trie: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_records(cls, statutes: list[dict]) -> StatuteIndex:
        trie: dict = {}
        ids = []
        for rec in statutes:
            sid = rec["id"]
            ids.append(sid)
            names = [sid]
            title = rec.get("title") or {}
            if isinstance(title, dict) and title.get("da"):
                names.append(title["da"])
            elif isinstance(title, str):
                names.append(title)
            names += list(rec.get("variants") or [])
            for name in names:
                keys = _key_tokens(name)
                while keys and keys[-1] in ("mv.", ".", ","):
                    keys.pop()
                if not keys:
                    continue
                node = trie
                for k in keys:
                    node = node.setdefault(k, {})
                prev = node.get(_END)
                if prev is not None and prev != sid:
                    raise ValueError(f"statute name {name!r} is given for both {prev} and {sid}")
                node[_END] = sid
        return cls(records=tuple(statutes), ids=tuple(ids), _trie=trie)

    def get(self, sid: str) -> dict | None:
        """The statutes.yaml record of an abbreviation."""
        for rec in self.records:
            if rec["id"] == sid:
                return rec
        return None

    def __contains__(self, sid: object) -> bool:
        return sid in self.ids

    def resolve(self, name: str) -> str | None:
        """The abbreviation of a statute name ("servicelovens" → "SL"), or None."""
        toks = tokenize(name)
        m = self.match(toks, 0)
        if m and m[1] == len(toks):
            return m[0]
        if m and m[1] == len(toks) - 1 and toks[-1].kind == "MV":
            return m[0]
        return None

    # The matcher: longest statute name starting at toks[i] → (id, end index) or None.
    def match(self, toks: list[Token], i: int) -> tuple[str, int] | None:
        best: list = [None]

        def offer(sid, end):
            if best[0] is None or end > best[0][1]:
                best[0] = (sid, end)

        def walk(node: dict, j: int, skipped_date: bool) -> None:
            if j >= len(toks):
                return
            tok = toks[j]
            k = tok.key
            child = node.get(k)
            if child is not None:
                if _END in child:
                    offer(child[_END], j + 1)
                walk(child, j + 1, skipped_date)
            # genitive: "servicelovens" = "serviceloven" + s; "LAB-lovens"; "folkeskolens"
            if tok.kind == "WORD" and len(k) > 2 and k.endswith("s"):
                g = node.get(k[:-1])
                if g is not None and _END in g:
                    offer(g[_END], j + 1)
            # "lov/bekendtgørelse nr. 996 af 29. juni 2016 om …": skip number and date
            if not skipped_date and j > i and toks[j - 1].key in _NAME_HEADS:
                end = _date_clause(toks, j)
                if end:
                    walk(node, end, True)

        walk(self._trie, i, False)
        return best[0]


def _date_clause(toks: list[Token], j: int) -> int | None:
    """`nr. 996 af 29. juni 2016` starting at toks[j] → index after it, else None."""
    try:
        if toks[j].kind != "NR" or toks[j + 1].kind != "NUM":
            return None
        k = j + 2
        if toks[k].key != "af":
            return k
        k += 1
        if toks[k].kind == "NUM" and toks[k + 1].kind == "DOT" and toks[k + 2].key in _MONTHS \
                and toks[k + 3].kind == "NUM":
            return k + 4
        return None
    except IndexError:
        return None


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------

@dataclass
class _Group:
    paths: list[tuple[tuple[str, str], ...]]
    start: int          # character offset of the § sign (for errors)
    statute: str | None  # the statute named last before the group (its fallback), if any
    ref: bool


class _Parser:
    def __init__(self, text: str, index: StatuteIndex, default: str | None = None) -> None:
        self.text = text
        self.index = index
        self.default = default
        self.toks = tokenize(text)
        self.i = 0
        self.expanded = 0       # provisions produced so far, bounded by MAX_PROVISIONS

    # -- helpers ---------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if 0 <= j < len(self.toks) else None

    def kind(self, k: int = 0) -> str | None:
        t = self.peek(k)
        return t.kind if t else None

    def key(self, k: int = 0) -> str | None:
        t = self.peek(k)
        return t.key if t else None

    def error(self, message: str, tok: Token | None = None) -> CitationError:
        if tok is None:
            tok = self.peek()
        offset = tok.start if tok is not None else len(self.text)
        return CitationError(message, self.text, offset)

    # -- values ----------------------------------------------------------------------------
    def _is_letter_suffix(self, k: int) -> bool:
        """Is token k a separate single-letter suffix of the number before it ("70 d")?"""
        t = self.peek(k)
        if t is None or t.kind != "WORD" or len(t.text) != 1 or not t.text.islower():
            return False
        if not re.fullmatch(r"[a-zæøå]", t.text):
            return False
        if t.text == "i":   # "§ 73 i bekendtgørelse …" is the preposition; "§ 11 i, stk. 2" not
            nxt = self.peek(k + 1)
            return (nxt is None or nxt.kind not in ("WORD", "SECT", "SECTS", "NUM")
                    or nxt.key in ("i", "efter"))
        nxt = self.peek(k + 1)
        # "§ 5 a stk." / "§ 5 a," / end; but not "§ 5 a b" word runs
        return nxt is None or nxt.kind != "WORD" or len(nxt.text) > 1 or nxt.text == "i"

    def value(self, level: str) -> str:
        """One value at `level`; the current token must start it."""
        t = self.peek()
        if level == "litra":
            if t is None or t.kind != "WORD" or len(t.text) != 1:
                raise self.error("expected a letter after 'litra'")
            self.i += 1
            return t.text.lower()
        if t is None or t.kind != "NUM":
            raise self.error(f"expected a number for {_LEVEL_WORD[level]}")
        digits = re.match(r"\d+", t.text).group()
        if len(digits.lstrip("0")) > _MAX_DIGITS or not digits.lstrip("0"):
            raise self.error(f"{t.text!r} is not a provision number", t)
        self.i += 1
        v = t.text
        if level in ("p", "nr", "kap") and v[-1].isdigit() and self._is_letter_suffix(0):
            v += self.peek().text
            self.i += 1
        if level in ("stk", "pkt") and not v[-1].isdigit():
            raise self.error(f"{t.text!r} is not a {_LEVEL_WORD[level]} number", t)
        return normalize_value(level, v)

    def values(self, level: str, plural: bool) -> list[str]:
        """A list of values sharing one designator: `3, 4 og 5`, `3-7`, `2,3,6 og 9`."""
        out = self.value_or_range(level)
        while True:
            save = self.i
            had_comma = self.separator()
            if self.i == save:
                break
            if not self._starts_value(level) or self._at_ordinal_pkt() or self._at_ordinal_word():
                self.i = save
                break
            if plural and level != "p" and had_comma:
                self.i = save           # "§§ 16, stk. 1, og 27": back to the § level
                break
            out += self.value_or_range(level)
        return out

    def _starts_value(self, level: str) -> bool:
        t = self.peek()
        if t is None:
            return False
        if level == "litra":
            if t.kind != "WORD" or len(t.text) != 1:
                return False
            if t.text.lower() == "i":      # "litra a og i lov om …" is the preposition
                nxt = self.peek(1)
                return nxt is None or nxt.kind not in ("WORD", "NUM", "SECT", "SECTS")
            return True
        return t.kind == "NUM"

    def value_or_range(self, level: str) -> list[str]:
        first_tok = self.peek()
        a = self.value(level)
        if self.kind() == "DASH" and self.peek(1) is not None and (
                self.kind(1) == "NUM" or (level == "litra" and self.kind(1) == "WORD"
                                         and len(self.peek(1).text) == 1)):
            self.i += 1
            b = self.value(level)
            return _expand(level, a, b, self, first_tok)
        return [a]

    def separator(self) -> bool:
        """Skip one list separator (",", "og", "eller", ", og"); return whether it had a comma."""
        comma = False
        if self.kind() == "COMMA":
            self.i += 1
            comma = True
        if self.key() in ("og", "eller"):
            self.i += 1
        return comma

    def _at_ordinal_pkt(self) -> bool:
        """At `3. pkt.` or `1. og 2. pkt.`?"""
        j = self.i
        while True:
            t = self.toks[j] if j < len(self.toks) else None
            if t is None or t.kind != "NUM" or not t.text.isdigit():
                return False
            d = self.toks[j + 1] if j + 1 < len(self.toks) else None
            if d is None or d.kind != "DOT":
                # "1.-3. pkt." and "1-3. pkt."
                if d is not None and d.kind == "DASH":
                    j += 2
                    continue
                return False
            j += 2
            n = self.toks[j] if j < len(self.toks) else None
            if n is None:
                return False
            if n.kind == "PKT":
                return True
            if n.kind == "COMMA":
                j += 1
                n = self.toks[j] if j < len(self.toks) else None
            if n is not None and n.kind == "WORD" and n.key in ("og", "eller"):
                j += 1
            elif n is not None and n.kind == "DASH":
                j += 1
            elif n is None or self.toks[j - 1].kind != "COMMA":
                return False

    def _at_ordinal_word(self) -> bool:
        """At an ordinal that is no provision: "1. januar 2018", "6. måned" (not "3. pkt.")."""
        t, d, w = self.peek(), self.peek(1), self.peek(2)
        return (t is not None and t.kind == "NUM" and d is not None and d.kind == "DOT"
                and w is not None and w.kind == "WORD" and w.text[:1].islower())

    def ordinal_pkts(self) -> list[str]:
        out: list[str] = []
        while True:
            first = self.peek()
            a = self.value("pkt")
            if self.kind() == "DOT":
                self.i += 1
            if self.kind() == "DASH":
                self.i += 1
                b = self.value("pkt")
                if self.kind() == "DOT":
                    self.i += 1
                out += _expand("pkt", a, b, self, first)
            else:
                out.append(a)
            if self.kind() == "PKT":
                self.i += 1
                return out
            self.separator()

    # -- § groups --------------------------------------------------------------------------
    def designator(self) -> str | None:
        """The level named at the current token (stk., nr., litra, ordinal pkt.), or None."""
        k = self.kind()
        if k == "STK":
            return "stk"
        if k == "NR":
            return "nr"
        if k == "LITRA":
            return "litra"
        if k == "NUM" and self._at_ordinal_pkt():
            return "pkt"
        return None

    def section_group(self) -> tuple[list[tuple], Token]:
        sign = self.peek()
        plural = sign.kind == "SECTS"
        self.i += 1
        if self.kind() != "NUM":
            raise self.error("expected a section number after '§'")
        paths: list[tuple] = []
        leaves: set[int] = set()    # indices in `paths` that are cited (not refined away)

        def add(path):
            paths.append(path)
            leaves.add(len(paths) - 1)

        for v in self.values("p", plural):
            add((("p", v),))
        while True:
            save = self.i
            had_comma = self.separator()
            level = self.designator()
            if level is not None:
                if level == "pkt":
                    vals = self.ordinal_pkts()
                else:
                    self.i += 1
                    t = self.peek()
                    if not (self._starts_value(level) or (
                            level == "litra" and t is not None and t.kind == "WORD" and len(t.text) == 1)):
                        raise self.error(f"expected a {_LEVEL_WORD[level]} value")
                    vals = self.values(level, plural)
                last_index = len(paths) - 1
                last = paths[last_index]
                base = tuple(s for s in last if _RANK[s[0]] < _RANK[level])
                if base == last:
                    leaves.discard(last_index)   # refined: "§ 48" + "stk. 1" → "§ 48, stk. 1"
                for v in vals:
                    add(base + ((level, v),))
                continue
            if (self.i > save and self._starts_value("p") and not self._at_ordinal_pkt()
                    and not self._at_ordinal_word()):
                last = paths[-1]
                level = "p" if (plural and had_comma) else last[-1][0]
                base = tuple(s for s in last if _RANK[s[0]] < _RANK[level])
                for v in self.values(level, plural):
                    add(base + ((level, v),))
                continue
            self.i = save
            break
        out = []
        for n, path in enumerate(paths):
            if n in leaves and path not in out:
                out.append(path)
        return out, sign

    def trailing_statute(self) -> str | None:
        """`[,] i <statute>` / `efter <statute>` right after a § group → its id (consumed)."""
        save = self.i
        if self.kind() == "COMMA":
            self.i += 1
        if self.key() in ("i", "efter"):
            j = self.i + 1
            m = self.index.match(self.toks, j)
            if m:
                self.i = m[1]
                self._skip_mv()
                return m[0]
            if self.key() == "i" and j < len(self.toks) and _looks_like_statute(self.toks, j):
                raise self.error("unknown statute", self.toks[j])
        self.i = save
        return None

    def _skip_mv(self) -> None:
        if self.kind() == "MV":
            self.i += 1

    # -- top level -------------------------------------------------------------------------
    def run(self) -> list[Provision]:
        """Walk the tokens once, citing each § group once its statute is known."""
        self.out: list[Provision] = []
        self.seen: set[Provision] = set()
        # § groups whose statute is not settled yet: those with no statute named before them
        # (fallback None) and those that would take the statute named last (fallback set) but
        # may still be claimed by "… efter <statute>" later in the same sentence.
        self.pending: list[_Group] = []
        self.last_statute: str | None = None
        self.ref = False                # the next citation follows "jf." and is a cross-reference
        self.last_end: int | None = None  # token index just after the last citation
        while self.i < len(self.toks):
            t = self.peek()
            if t.kind == "JF":
                self._at_jf()
            elif t.kind in ("SECT", "SECTS", "KAP"):
                self._at_group(t)
            elif t.kind == "DOT" and self.pending:
                self._at_dot()
            elif t.kind in ("WORD", "NUM"):
                self._at_word(t)
            else:
                self.i += 1
        self._settle()
        return self.out

    def count(self, n: int, tok: Token | None = None) -> None:
        """Add `n` members of a range to this text's total; CitationError past MAX_PROVISIONS."""
        self.expanded += n
        if self.expanded > MAX_PROVISIONS:
            raise self.error(f"the ranges in this text expand to more than {MAX_PROVISIONS} provisions; "
                             f"cite at most {MAX_PROVISIONS} at a time", tok)

    def _emit(self, statute: str, paths, note: str) -> None:
        for path in paths:
            p = Provision(statute, path, note)
            if p not in self.seen:
                self.seen.add(p)
                self.out.append(p)

    def _settle(self, claim: str | None = None, only_unnamed: bool = False) -> None:
        """Give each pending group a statute: `claim`, else its fallback, else `default`."""
        for g in self.pending:
            sid = claim if (claim and not (only_unnamed and g.statute)) else None
            sid = sid or g.statute or self.default
            if sid is None:
                raise CitationError("a § with no statute (name the statute before or after it)",
                                    self.text, g.start)
            self._emit(sid, g.paths, "cross-reference" if g.ref else "")
        self.pending.clear()

    def _group_at_cursor(self, statute: str | None, is_ref: bool) -> None:
        """One § group or chapter citation, cited now or left pending until its statute comes."""
        start_tok = self.peek()
        if self.kind() == "KAP":
            self.i += 1
            if not self._starts_value("kap"):
                raise self.error("expected a chapter number after 'kap.'")
            chapters = self.values("kap", False)
            save = self.i
            if self.kind() == "COMMA":
                self.i += 1
            if self.kind() in ("SECT", "SECTS"):
                self._group_at_cursor(statute, is_ref)   # the chapter only locates the §
                return
            self.i = save
            paths = [(("kap", c),) for c in chapters]
        else:
            paths, _ = self.section_group()
        trailing = self.trailing_statute()
        if trailing:
            # "… § 73 i bekendtgørelse om …": binds this group and the unnamed ones before
            self._settle(trailing, only_unnamed=True)
            self.last_statute = trailing
            self._emit(trailing, paths, "cross-reference" if is_ref else "")
        elif statute:
            self._settle()
            self._emit(statute, paths, "cross-reference" if is_ref else "")
        else:
            self.pending.append(_Group(paths, start_tok.start, self.last_statute, is_ref))

    def _at_jf(self) -> None:
        # "§ 46, jf. § 30 a": a cross-reference only right after a citation; after a
        # noun ("Hjælpeordning jf. servicelovens § 95") it is the citation itself
        self.ref = self.last_end is not None and all(
            x.kind == "COMMA" or x.key in _BEFORE_JF for x in self.toks[self.last_end:self.i])
        self.i += 1

    def _at_group(self, t: Token) -> None:
        if t.kind == "KAP" and not (self.kind(1) == "NUM"):
            self.i += 1
            self.ref = False
            return
        self._group_at_cursor(None, self.ref)
        self.last_end = self.i
        self.ref = False

    def _at_dot(self) -> None:
        nxt = self.peek(1)
        if nxt is None or (nxt.kind == "WORD" and nxt.text[:1].isupper()):
            self._settle()                      # a sentence ends: no statute will come
        self.i += 1

    def _at_word(self, t: Token) -> None:
        m = self.index.match(self.toks, self.i) if t.kind == "WORD" else None
        if m:
            self._at_statute(m)
            self.ref = False
            return
        if t.kind == "WORD" and _looks_like_statute(self.toks, self.i):
            end = _statute_phrase_end(self.toks, self.i)
            nxt = self.toks[end] if end < len(self.toks) else None
            if nxt is not None and nxt.kind in ("SECT", "SECTS"):
                raise self.error("unknown statute", t)
        if t.kind == "WORD" and t.key not in ("og", "samt", "eller", "i", "af", "fra", "til"):
            self.ref = False
        self.i += 1

    def _at_statute(self, m: tuple[str, int]) -> None:
        """A statute name at the cursor: it names the § after it, the § before, or itself."""
        start = self.i
        sid, self.i = m
        self._skip_mv()
        save = self.i
        if self.kind() == "COMMA":
            self.i += 1
        if self.kind() in ("SECT", "SECTS") or (self.kind() == "KAP" and self.kind(1) == "NUM"):
            self._settle()
            self.last_statute = sid
            self._group_at_cursor(sid, self.ref)
            self.last_end = self.i
            return
        self.i = save
        before = self.toks[start - 1].key if start > 0 else None
        if self.pending and before in ("i", "efter"):
            # "et § 109 tilbud efter serviceloven": the statute of the § before
            self._settle(sid)
            self.last_statute = sid
            self.last_end = self.i
        elif _is_strong_name(self.toks[start:m[1]], sid):
            self._settle()
            self.last_statute = sid
            self._emit(sid, [()], "cross-reference" if self.ref else "unspecified")
            self.last_end = self.i


_BEFORE_JF = {"i", "forhold", "til", "og"}   # "§ 18, stk. 4 i forhold til jf. § 2"

_LEVEL_WORD = {"kap": "chapter", "p": "§", "stk": "stk.", "nr": "nr.", "litra": "litra",
               "pkt": "pkt."}


def _expand(level: str, a: str, b: str, parser: _Parser, tok: Token) -> list[str]:
    """The members of a range: whole numbers only, plus lettered endpoints as written."""
    if level == "litra":
        lo, hi = ord(a), ord(b)
        if hi < lo:
            raise parser.error(f"range {a}-{b} runs backwards", tok)
        parser.count(hi - lo + 1, tok)
        return [chr(c) for c in range(lo, hi + 1)]
    na, nb = int(a.split()[0]), int(b.split()[0])
    if nb < na or (nb == na and a >= b):
        raise parser.error(f"range {a}-{b} runs backwards", tok)
    if nb - na > _MAX_RANGE:
        raise parser.error(f"range {a}-{b} is implausibly wide", tok)
    out = [a]
    out += [str(n) for n in range(na + 1, nb + 1)]
    if " " in b:
        out.append(b)
    parser.count(len(out), tok)
    return out


def _looks_like_statute(toks: list[Token], i: int) -> bool:
    """A name that must be a statute: "lov om …", "bekendtgørelse nr. …", "…loven(s)"."""
    t = toks[i]
    if t.kind != "WORD":
        return False
    k = t.key
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if k in ("lov", "bekendtgørelse", "lovbekendtgørelse") and nxt is not None and (
            nxt.key == "om" or nxt.kind == "NR"):
        return True
    return bool(re.fullmatch(r"[\w-]+lov(en|ens)", k))


def _is_strong_name(toks: list[Token], sid: str) -> bool:
    """Does this statute name stand for the statute even with no § after it?

    "lov om …", "…loven", "bekendtgørelse om …", "bygningsreglementet" and abbreviations do;
    a plain noun variant such as "folkeskolen" only names the act right before a §.
    """
    for t in toks:
        k = t.key
        if "lov" in k or "bekendtgørelse" in k or "reglement" in k or k == sid.lower():
            return True
        if t.kind == "WORD" and t.text.isupper() and len(t.text) > 1:
            return True
    return False


def _statute_phrase_end(toks: list[Token], i: int) -> int:
    """Where an unresolved statute phrase starting at i ends: at a §, punctuation or sentence end."""
    j = i + 1
    while j < len(toks) and toks[j].kind in ("WORD", "NUM", "NR", "MV", "DOT", "COMMA"):
        if toks[j].kind == "DOT" and j + 1 < len(toks) and toks[j + 1].kind == "WORD" \
                and toks[j + 1].text[:1].isupper():
            break
        j += 1
    return j


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------

def parse(text: str, index: StatuteIndex, *, default: str | None = None) -> list[Provision]:
    """Every atomic provision cited in `text`, in order of appearance, without duplicates.

    Cross-references (after "jf.") carry `note="cross-reference"`; a statute named without a §
    is cited whole with `note="unspecified"`. `default` is the statute of § groups that name
    none (e.g. the act a table is about); without it such a group raises `CitationError`.
    """
    if default is not None and default not in index:
        raise ValueError(f"default statute {default!r} is not in the index")
    return _Parser(text, index, default).run()


def parse_one(canonical: str, index: StatuteIndex) -> Provision:
    """Exactly one citation: a statute (abbreviation or name) and at most one atomic provision.

    `parse_one("SL § 52, stk. 3", index)` → `Provision("SL", (("p","52"),("stk","3")))`.
    Raises `CitationError` for anything else (no statute, several provisions, trailing text).
    """
    parser = _Parser(canonical, index)
    toks = parser.toks
    if not toks:
        raise CitationError("empty citation", canonical, 0)
    m = index.match(toks, 0)
    if not m:
        raise CitationError("expected a statute abbreviation or name", canonical, toks[0].start)
    sid, parser.i = m
    parser._skip_mv()
    if parser.i == len(toks):
        return Provision(sid, ())
    if parser.kind() == "COMMA":
        parser.i += 1
    paths: list[tuple] = []
    if parser.kind() == "KAP":
        parser.i += 1
        if not parser._starts_value("kap"):
            raise parser.error("expected a chapter number after 'kap.'")
        paths = [(("kap", v),) for v in parser.values("kap", False)]
        if parser.kind() == "COMMA" and parser.kind(1) in ("SECT", "SECTS"):
            parser.i += 1
    if parser.kind() in ("SECT", "SECTS"):
        paths, _ = parser.section_group()
    elif not paths:
        raise parser.error("expected '§' or 'kap.' after the statute")
    if parser.i < len(toks):
        raise parser.error("unexpected text after the citation")
    if len(paths) != 1:
        raise CitationError(f"{len(paths)} provisions where one was expected", canonical, 0)
    return Provision(sid, paths[0])


def iter_provisions(texts: Iterable[str], index: StatuteIndex) -> Iterator[Provision]:
    """`parse` over several texts, de-duplicated across them."""
    seen = set()
    for text in texts:
        for p in parse(text, index):
            if p not in seen:
                seen.add(p)
                yield p


def canonicalizer(index: "StatuteIndex"):
    """Text → the canonical text of the one provision it cites, or None (for query parameters
    typed as free text, e.g. "servicelovens § 52 stk. 3" → "SL § 52, stk. 3")."""
    def canonical(text: str) -> str | None:
        try:
            found = parse(text, index)
        except CitationError:
            return None
        return found[0].canonical() if len(found) == 1 else None
    return canonical
