"""Target names as astronomers type them: one key for every spelling of a name.

Observatories spell one target many ways (``V404 Cyg``, ``V404_CYG``,
``V404CYG``; SIMBAD's ``V* V404 Cyg``; the papers' ``V404 Cygni``). A name's
key is what stays when the spelling goes:

- case, and anything that is not a letter, digit, ``+`` or ``*`` between the
  words (spaces, underscores, hyphens, dots): ``v404_cyg`` is ``V404 CYG``;
  ``+`` stays, so that ``J1753.5+0127`` and ``J1753.5-0127`` differ;
- a constellation word, in any of its forms, becomes its IAU abbreviation:
  the genitive (``Cygni``), the nominative (``Cygnus``), the 1932 four-letter
  abbreviation (``Cygn``), two-word names written apart or joined
  (``Ursae Majoris``, ``UrsaeMajoris``); ``Boötes`` with or without its dots;
- a Greek letter name becomes SIMBAD's three letters (``alpha`` is ``alf``,
  ``xi`` is ``ksi``), so ``Alpha Centauri`` is ``alf Cen``;
- SIMBAD's leading ``V*``, ``*``, ``**`` and ``NAME`` go; ``*`` elsewhere
  (``Sgr A*``) goes;
- Chandra's catalogue prefixes ``2CXO J`` and ``CXOU J`` are ``CXO J``.
  ``SWIFT J``/``Swift J``, ``GRB 221009A``/``GRB221009A`` differ by case and
  spacing only.

A word is recognised where it stands apart (``V404 Cygni``, ``V404_Cygni``),
not inside another (``V404Cygni`` keeps its letters): a Transient Name Server
name such as ``AT 2023cent`` must not become ``AT 2023cen``, another object.

The key is one list of steps (``STEPS``), computed here for a parameter and
written as SQL for a column by the ``target_key`` macro (runner/macros.py),
so both sides compute the same key on every engine; tests/test_target_names.py
checks that they agree over a corpus of spellings. Only ASCII reaches
``upper``, where Python, DuckDB and Trino differ (Python's ``'ß'.upper()``
is ``'SS'``): every other character is a separator first.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

# (IAU abbreviation, nominative, genitive, 1932 four-letter abbreviations): all 88.
CONSTELLATIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("And", "Andromeda", "Andromedae", ("Andr",)),
    ("Ant", "Antlia", "Antliae", ("Antl",)),
    ("Aps", "Apus", "Apodis", ("Apus",)),
    ("Aqr", "Aquarius", "Aquarii", ("Aqar",)),
    ("Aql", "Aquila", "Aquilae", ("Aqil",)),
    ("Ara", "Ara", "Arae", ("Arae",)),
    ("Ari", "Aries", "Arietis", ("Arie",)),
    ("Aur", "Auriga", "Aurigae", ("Auri",)),
    ("Boo", "Bootes", "Bootis", ("Boot",)),
    ("Cae", "Caelum", "Caeli", ("Cael",)),
    ("Cam", "Camelopardalis", "Camelopardalis", ("Caml",)),
    ("Cnc", "Cancer", "Cancri", ("Canc",)),
    ("CVn", "Canes Venatici", "Canum Venaticorum", ("CVen",)),
    ("CMa", "Canis Major", "Canis Majoris", ("CMaj",)),
    ("CMi", "Canis Minor", "Canis Minoris", ("CMin",)),
    ("Cap", "Capricornus", "Capricorni", ("Capr",)),
    ("Car", "Carina", "Carinae", ("Cari",)),
    ("Cas", "Cassiopeia", "Cassiopeiae", ("Cass",)),
    ("Cen", "Centaurus", "Centauri", ("Cent",)),
    ("Cep", "Cepheus", "Cephei", ("Ceph",)),
    ("Cet", "Cetus", "Ceti", ("Ceti",)),
    ("Cha", "Chamaeleon", "Chamaeleontis", ("Cham",)),
    ("Cir", "Circinus", "Circini", ("Circ",)),
    ("Col", "Columba", "Columbae", ("Colm",)),
    ("Com", "Coma Berenices", "Comae Berenices", ("Coma",)),
    ("CrA", "Corona Australis", "Coronae Australis", ("CorA",)),
    ("CrB", "Corona Borealis", "Coronae Borealis", ("CorB",)),
    ("Crv", "Corvus", "Corvi", ("Corv",)),
    ("Crt", "Crater", "Crateris", ("Crat",)),
    ("Cru", "Crux", "Crucis", ("Cruc",)),
    ("Cyg", "Cygnus", "Cygni", ("Cygn",)),
    ("Del", "Delphinus", "Delphini", ("Dlph", "Delp")),
    ("Dor", "Dorado", "Doradus", ("Dora",)),
    ("Dra", "Draco", "Draconis", ("Drac",)),
    ("Equ", "Equuleus", "Equulei", ("Equl",)),
    ("Eri", "Eridanus", "Eridani", ("Erid",)),
    ("For", "Fornax", "Fornacis", ("Forn",)),
    ("Gem", "Gemini", "Geminorum", ("Gemi",)),
    ("Gru", "Grus", "Gruis", ("Grus",)),
    ("Her", "Hercules", "Herculis", ("Herc",)),
    ("Hor", "Horologium", "Horologii", ("Horo",)),
    ("Hya", "Hydra", "Hydrae", ("Hyda",)),
    ("Hyi", "Hydrus", "Hydri", ("Hydi",)),
    ("Ind", "Indus", "Indi", ("Indi",)),
    ("Lac", "Lacerta", "Lacertae", ("Lacr",)),
    ("Leo", "Leo", "Leonis", ("Leon",)),
    ("LMi", "Leo Minor", "Leonis Minoris", ("LMin",)),
    ("Lep", "Lepus", "Leporis", ("Leps",)),
    ("Lib", "Libra", "Librae", ("Libr",)),
    ("Lup", "Lupus", "Lupi", ("Lupi",)),
    ("Lyn", "Lynx", "Lyncis", ("Lync",)),
    ("Lyr", "Lyra", "Lyrae", ("Lyra",)),
    ("Men", "Mensa", "Mensae", ("Mens",)),
    ("Mic", "Microscopium", "Microscopii", ("Micr",)),
    ("Mon", "Monoceros", "Monocerotis", ("Mono",)),
    ("Mus", "Musca", "Muscae", ("Musc",)),
    ("Nor", "Norma", "Normae", ("Norm",)),
    ("Oct", "Octans", "Octantis", ("Octn",)),
    ("Oph", "Ophiuchus", "Ophiuchi", ("Ophi",)),
    ("Ori", "Orion", "Orionis", ("Orio",)),
    ("Pav", "Pavo", "Pavonis", ("Pavo",)),
    ("Peg", "Pegasus", "Pegasi", ("Pegs",)),
    ("Per", "Perseus", "Persei", ("Pers",)),
    ("Phe", "Phoenix", "Phoenicis", ("Phoe",)),
    ("Pic", "Pictor", "Pictoris", ("Pict",)),
    ("Psc", "Pisces", "Piscium", ("Pisc",)),
    ("PsA", "Piscis Austrinus", "Piscis Austrini", ("PscA",)),
    ("Pup", "Puppis", "Puppis", ("Pupp",)),
    ("Pyx", "Pyxis", "Pyxidis", ("Pyxi",)),
    ("Ret", "Reticulum", "Reticuli", ("Reti",)),
    ("Sge", "Sagitta", "Sagittae", ("Sgte",)),
    ("Sgr", "Sagittarius", "Sagittarii", ("Sgtr",)),
    ("Sco", "Scorpius", "Scorpii", ("Scor",)),
    ("Scl", "Sculptor", "Sculptoris", ("Scul",)),
    ("Sct", "Scutum", "Scuti", ("Scut",)),
    ("Ser", "Serpens", "Serpentis", ("Serp",)),
    ("Sex", "Sextans", "Sextantis", ("Sext",)),
    ("Tau", "Taurus", "Tauri", ("Taur",)),
    ("Tel", "Telescopium", "Telescopii", ("Tele",)),
    ("Tri", "Triangulum", "Trianguli", ("Tria",)),
    ("TrA", "Triangulum Australe", "Trianguli Australis", ("TrAu",)),
    ("Tuc", "Tucana", "Tucanae", ("Tucn",)),
    ("UMa", "Ursa Major", "Ursae Majoris", ("UMaj",)),
    ("UMi", "Ursa Minor", "Ursae Minoris", ("UMin",)),
    ("Vel", "Vela", "Velorum", ("Velr",)),
    ("Vir", "Virgo", "Virginis", ("Virg",)),
    ("Vol", "Volans", "Volantis", ("Voln",)),
    ("Vul", "Vulpecula", "Vulpeculae", ("Vulp",)),
)

# Greek letters as SIMBAD abbreviates them (``* alf Cen``); the rest are already short.
GREEK = {
    "alpha": "alf", "beta": "bet", "gamma": "gam", "delta": "del", "epsilon": "eps",
    "zeta": "zet", "theta": "tet", "iota": "iot", "kappa": "kap", "lambda": "lam",
    "xi": "ksi", "omicron": "omi", "sigma": "sig", "upsilon": "ups", "omega": "ome",
}  # fmt: skip

TRANSLITERATIONS = (("ö", "o"), ("Ö", "O"))
"""Letters written with a diaeresis in constellation names (Boötes, Boötis)."""

WORD_SEPARATORS = "[^A-Za-z0-9+*]+"
"""What separates the words of a name (before upper-casing, so only ASCII is upper-cased)."""

LEADING_WORDS = "^ ?NAME "
"""SIMBAD's ``NAME`` before a common name (``NAME Crab Nebula``), a word of its own."""

LEADING_MARKS = r"^(V\*|\*+)"
"""SIMBAD's ``V*`` (variable star), ``*`` (star) and ``**`` (double star) prefixes."""

CATALOGUE_PREFIXES = (("^(2CXO|CXOU)J", "CXOJ"),)
"""Prefixes of one catalogue's names, on the joined key: ``2CXO J...`` is ``CXO J...``."""


@dataclass(frozen=True)
class Step:
    """One step of the key: ``replace`` (literal text), ``regexp`` (every match),
    ``upper``, or ``pad`` (each word between two spaces, so that a word's pattern
    ``' CYGNI '`` matches words next to each other: ``' V404  CYGNI '``)."""

    op: str
    find: str = ""
    to: str = ""


def _word_steps() -> list[Step]:
    """The words that become others, longest (two-word) forms first: ``Leonis Minoris``
    is LMi before ``Leonis`` alone becomes Leo."""
    rules: list[tuple[str, list[str]]] = []
    for abbreviation, nominative, genitive, four in CONSTELLATIONS:
        forms = {nominative, genitive, *four}
        spelled = set()
        for form in forms:
            words = form.upper().split()
            spelled.add("  ".join(words))  # words apart: each padded by its own spaces
            if len(words) > 1:
                spelled.add("".join(words))  # UrsaeMajoris
        spelled.discard(abbreviation.upper())
        if spelled:
            rules.append((abbreviation.upper(), sorted(spelled, key=lambda s: (-len(s), s))))
    rules += [(short.upper(), [name.upper()]) for name, short in GREEK.items()]
    rules.sort(key=lambda rule: -max(f.count(" ") for f in rule[1]))  # stable: table order
    return [Step("regexp", f" ({'|'.join(forms)}) ", f" {to} ") for to, forms in rules]


BEFORE_WORDS: tuple[Step, ...] = (
    *(Step("replace", a, b) for a, b in TRANSLITERATIONS),
    Step("regexp", WORD_SEPARATORS, " "),
    Step("upper"),
    Step("regexp", LEADING_WORDS, ""),
)
WORDS: tuple[Step, ...] = (Step("pad"), *_word_steps())
AFTER_WORDS: tuple[Step, ...] = (
    Step("replace", " ", ""),
    Step("regexp", LEADING_MARKS, ""),
    Step("replace", "*", ""),
    *(Step("regexp", find, to) for find, to in CATALOGUE_PREFIXES),
)
STEPS: tuple[Step, ...] = (*BEFORE_WORDS, *WORDS, *AFTER_WORDS)
"""The key, step by step (``name_key`` runs them all)."""


def _words_guard() -> str:
    """A pattern the upper-cased name matches wherever ``WORDS`` may change it: it holds
    a word of a form they replace, or a letter ``TRANSLITERATIONS`` changes.

    The SQL key runs the hundred-odd ``WORDS`` steps only on names that match (a
    few), which makes it ~20 times cheaper per name; where the guard matches and no
    word does, the steps change nothing. A superset is enough, so a word holding
    another (``CYGNI`` holds ``CYGN``) is left out, and the rest are written as
    their prefix tree (``C(?:YGN|...)``): Trino's regular expressions (Joni) try
    each alternative at each position, 36 us a name for the plain list of 290
    words, and the tree takes about 4 us.
    """
    words = {w for step in WORDS[1:] for w in step.find.strip(" ()").replace("  ", "|").split("|")}
    words |= {c for pair in TRANSLITERATIONS for c in (pair[0], pair[0].upper())}
    words = {w for w in words if not any(other != w and other in w for other in words)}
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for letter in word:
            node = node.setdefault(letter, {})

    def pattern(node: dict[str, dict]) -> str:
        branches = [re.escape(letter) + pattern(child) for letter, child in sorted(node.items())]
        if len(branches) <= 1:
            return "".join(branches)
        return f"(?:{'|'.join(branches)})"

    return pattern(tree)


WORDS_GUARD = _words_guard()


@functools.cache
def _compiled() -> list[tuple[Step, re.Pattern[str] | None]]:
    """On first use, not at import: compiling the patterns costs every command ~10 ms."""
    return [(s, re.compile(s.find) if s.op == "regexp" else None) for s in STEPS]


def name_key(text: str) -> str:
    """The key every spelling of a target name shares: ``V404 Cygni`` is ``V404CYG``."""
    for step, pattern in _compiled():
        if step.op == "replace":
            text = text.replace(step.find, step.to)
        elif step.op == "regexp":
            assert pattern is not None
            text = pattern.sub(step.to, text)
        elif step.op == "upper":
            text = text.upper()
        else:  # pad
            text = " " + text.replace(" ", "  ") + " "
    return text


def closest_names(target: str, known: Iterable[tuple[str, str]], count: int = 3) -> list[str]:
    """The known names whose keys are closest to the target's key (difflib), one per key.

    ``known`` is (name, key) pairs, the keys as the ``target_names`` query computes
    them: a key here costs ~20 us, and a stack may name tens of thousands of targets.
    A key's name is the first of its spellings in sorted order.
    """
    by_key: dict[str, str] = {}
    for name, key in sorted(known):
        by_key.setdefault(key, name)
    keys = difflib.get_close_matches(name_key(target), list(by_key), n=count, cutoff=0.6)
    return [by_key[key] for key in keys]


def unknown_target(target: str, known: Iterable[tuple[str, str]]) -> str:
    """One line for a name no observation has, naming the closest known names if any."""
    known = list(known)
    closest = closest_names(target, known)
    if closest:
        hint = f"closest known: {', '.join(closest)}"
    elif known:
        hint = (
            f"none of the {len(known)} known names is close "
            "(list them: python -m runner run target_names)"
        )
    else:
        hint = "no observation names any target"
    return f"target {target!r}: no observation under that name (any spelling); {hint}"
