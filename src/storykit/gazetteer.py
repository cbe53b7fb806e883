"""Turn the many spellings of Syria's governorates and districts into OCHA P-codes.

    from storykit.gazetteer import Gazetteer, UnknownPlaceError, is_no_place, to_pcode
    gaz = Gazetteer.load(path_to_gazetteer_parquet)
    gaz.to_pcode(["Deir Ezzor", "Damascus Suburbs", "حماه"])   # ['SY09', 'SY03', 'SY05']

Names come from OCHA's layer (NAME_EN, NAM_EN_REF, NAME_AR) and from ALIASES below: the spellings
found in the sources (docs/sources.md) and the usual transliterations. A name matches when it equals one
of those after normalisation; failing that, a guarded fuzzy match accepts a near spelling only when
it is very close to exactly one place and clearly closer than to any other. Anything else raises
UnknownPlaceError: the gazetteer never guesses.

Codes are never read as names: "SY01" is OCHA's Damascus but FIPS's Al-Hasakah, so a bare code is
refused unless the caller says its scheme, with codes="pcode" or the form "pcode:SY01".
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process
from unidecode import unidecode

from .errors import DataError
from .paths import processed_dir

# Spellings beyond the layer's own, keyed by the layer's NAME_EN (level 1) so no code is typed here.
# Only spellings that are unambiguous: "Damascus Countryside" is Rural Damascus, never the city.
ALIASES: dict[int, dict[str, tuple[str, ...]]] = {
    1: {
        "Damascus": ("Dimashq", "Damascus City", "Madinat Dimashq", "Damas"),
        "Rural Damascus": ("Rif Dimashq", "Reef Damascus", "Damascus Suburbs", "Damascus Countryside",
                           "Damascus Rural", "Rif Damashq", "Rif Dimashk"),
        "Aleppo": ("Halab", "Alep"),
        "Homs": ("Hims",),
        "Hama": ("Hamah", "Hamat", "Hamaa"),
        "Lattakia": ("Latakia", "Al Ladhiqiyah", "Ladhiqiyah", "Lattaquie", "Latakiya"),
        "Idleb": ("Idlib",),
        "Al-Hasakeh": ("Hasakeh", "Hassakeh", "Al Hasakah", "Hasaka", "Hasakah", "Hassake", "Hassakah"),
        "Deir-ez-Zor": ("Dayr Az-Zor", "Deir Ezzor", "Deir ez Zor", "Dayr al Zawr", "Dayr az Zawr",
                        "Deir al-Zour", "Deir Ez-Zour", "Deirezzor"),
        "Tartous": ("Tartus", "Tartouss"),
        "Ar-Raqqa": ("Raqqa", "Ar Raqqah", "Rakka", "Raqqah"),
        "Dar'a": ("Daraa", "Dara", "Deraa", "Darʿa"),
        "As-Sweida": ("Sweida", "As-Suweida", "As Suwayda", "Suwayda", "Suwaida", "Sweyda"),
        "Quneitra": ("Al Qunaytirah", "Qunaitra", "Qunaytirah", "Kuneitra"),
    },
    2: {
        "Al Ma'ra": ("Maarat al-Numaan", "Ma'arrat an-Nu'man", "Maarrat al Numan", "Ma'arat al-Nu'man"),
    },
}

# Compared after punctuation becomes spaces: "n/a" is "n a", "-" is "".
NO_PLACE = {"", "other", "others", "other nationalities", "unknown", "dispersed in the country territory",
            "not specified", "unspecified", "various", "na", "n a", "none", "nan", "null"}

# Words that qualify a name without being part of it ("Homs Governorate", "Dara : Mohafazah - Governorate").
QUALIFIERS = {"governorate", "governorat", "gouvernorat", "mohafazah", "muhafazah", "mohafazat", "muhafazat",
              "muhafaza", "mohafaza", "province", "provincia", "district", "mintaqa", "mintaqat", "mantiqa",
              "mantika", "region", "markaz", "محافظه", "منطقه", "مركز"}
# "Markaz X" / "مركز X" (centre of X) names the district around a governorate's capital.
ARTICLES = {"al", "el", "ar", "as", "ad", "ash", "at", "az", "an", "ath", "adh", "ez", "es", "ed", "et", "en", "er"}

FUZZY_MIN = 90  # rapidfuzz ratio (0..100) a near spelling needs
FUZZY_MARGIN = 8  # by how much it must beat the best other place

_ESCAPE = re.compile(r"<U\+([0-9A-Fa-f]{4,6})>")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_ARABIC_MARKS = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # harakat, dagger alef, tatweel
_PCODE_FORM = re.compile(r"pcode\s*:\s*(\S+)", re.IGNORECASE)
_MARKUP = re.compile(r"[<>]")  # no place name has these; "<i>Aleppo" is HTML, not a spelling of Aleppo


class UnknownPlaceError(DataError):
    """Some names are not places of the gazetteer; the message lists each distinct one."""

    def __init__(self, message: str, unknown: list[str]):
        super().__init__(message)
        self.unknown = unknown


def _decode(name: str) -> str:
    # "<U+1E24>" is how R writes a character it cannot show; put the character back.
    return unicodedata.normalize("NFKC", _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), name))


def normalise(name: str) -> str:
    """The comparable form of a place name: lower case, ASCII (or bare Arabic), no articles or qualifiers."""
    text = _BRACKETS.sub(" ", _decode(str(name)))  # "[Admin 1]"
    if _ARABIC.search(text):
        text = _ARABIC_MARKS.sub("", text)
        text = re.sub("[أإآٱ]", "ا", text).replace("ة", "ه").replace("ى", "ي")
        words = [w[2:] if w.startswith("ال") and len(w) > 3 else w for w in re.findall(r"[\u0600-\u06FF]+", text)]
    else:
        text = unidecode(text).lower()
        text = re.sub(r"['`\u2018\u2019\u02bb\u02bc\u02be\u02bf]", "", text)  # Dar'a = Dara
        words = re.findall(r"[a-z0-9]+", text)
        words = [w for w in words if w not in ARTICLES] or words
    words = [w for w in words if w not in QUALIFIERS]
    return " ".join(words)


def _skeleton(norm: str) -> str:
    """A coarser key for fuzzy matching: transliteration choices (vowels, doubled letters, q/k) folded away."""
    if _ARABIC.search(norm):
        return norm.replace(" ", "")
    out = []
    for word in norm.split():
        word = word.replace("q", "k").replace("c", "k")
        word = re.sub(r"(.)\1+", r"\1", word)  # Lattakia = Latakia
        word = re.sub(r"[aeiouy]+", "a", word)  # Deir = Dayr, Idleb = Idlib
        word = re.sub(r"(?<=a)h$", "", word)  # Hamah = Hama
        out.append(word)
    return "".join(out)


def is_no_place(name) -> bool:
    """True for values that name no place: blanks, "Other", "Unknown", "Dispersed in the country / territory"."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return True
    return re.sub(r"[\W_]+", " ", _decode(str(name)).lower()).strip() in NO_PLACE


class Gazetteer:
    """Places of one gazetteer table (columns pcode, level, name_en, name_en_ref, name_ar).

    `aliases` maps level -> {name_en in the table: extra spellings}; ALIASES unless given.
    """

    def __init__(self, table: pd.DataFrame, aliases: dict[int, dict[str, tuple[str, ...]]] | None = None):
        aliases = ALIASES if aliases is None else aliases
        self.table = table.reset_index(drop=True)
        self._exact: dict[int, dict[str, set[str]]] = {}
        self._skel: dict[int, dict[str, set[str]]] = {}
        self._pcodes: dict[int, set[str]] = {}
        for level, rows in self.table.groupby("level"):
            level = int(level)
            self._pcodes[level] = set(rows["pcode"])
            by_name = dict(zip(rows["name_en"], rows["pcode"]))
            spellings = []
            for r in rows.itertuples():
                spellings += [(n, r.pcode) for n in (r.name_en, r.name_en_ref, r.name_ar) if isinstance(n, str)]
            for name, extra in aliases.get(level, {}).items():
                if name not in by_name:
                    raise DataError(f"storykit.gazetteer.ALIASES names {name!r}, which is not a level-{level} "
                                    "name of the gazetteer table; update ALIASES to the layer's names.")
                spellings += [(a, by_name[name]) for a in extra]
            if level == 2:  # a district named after its governorate is spelt as the governorate is
                spellings += [(a, by_name[name]) for name, extra in aliases.get(1, {}).items() if name in by_name
                              for a in extra]
            exact, skel = self._exact.setdefault(level, {}), self._skel.setdefault(level, {})
            for name, pcode in spellings:
                norm = normalise(name)
                exact.setdefault(norm, set()).add(pcode)
                skel.setdefault(_skeleton(norm), set()).add(pcode)

    @classmethod
    def load(cls, path) -> "Gazetteer":
        """The gazetteer in a Parquet file, read once per path and modification time."""
        path = Path(path).resolve()
        if not path.exists():
            raise DataError(f"There is no gazetteer at {path}. Run `storykit process` to make it.")
        return _load(path, path.stat().st_mtime_ns)

    def match(self, name, level: int = 1, codes: str = "names") -> str | None:
        """The P-code of one name, or None when it cannot be matched with confidence."""
        if codes not in ("names", "pcode"):
            raise ValueError(f"codes must be 'names' or 'pcode', not {codes!r}")
        if level not in self._pcodes:
            raise ValueError(f"The gazetteer has levels {sorted(self._pcodes)}, not {level!r}.")
        if is_no_place(name):
            return None
        text = _decode(str(name)).strip()
        if _MARKUP.search(text):
            return None
        if m := _PCODE_FORM.fullmatch(text):
            codes, text = "pcode", m.group(1)
        if codes == "pcode":
            return text.upper() if text.upper() in self._pcodes[level] else None
        norm = normalise(text)
        if re.fullmatch(r"[a-z]*\s*\d+", norm):  # a bare code, scheme unknown: never a name
            return None
        for index, key in ((self._exact[level], norm), (self._skel[level], _skeleton(norm))):
            found = index.get(key, set())
            if len(found) == 1:
                return next(iter(found))
            if len(found) > 1:
                return None  # the spelling names two places
        return self._fuzzy(_skeleton(norm), level)

    def _fuzzy(self, key: str, level: int) -> str | None:
        index = self._skel[level]
        best: dict[str, float] = {}
        for candidate, score, _ in process.extract(key, list(index), scorer=fuzz.ratio, limit=None):
            for pcode in index[candidate]:
                best[pcode] = max(best.get(pcode, 0), score)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < FUZZY_MIN:
            return None
        if len(ranked) > 1 and ranked[1][1] > ranked[0][1] - FUZZY_MARGIN:
            return None
        return ranked[0][0]

    def to_pcode(self, names: Iterable, level: int = 1, codes: str = "names") -> list[str]:
        """P-codes of `names`, in their order; level 1 governorates (SYnn), level 2 districts (SYnnnn).

        Raises UnknownPlaceError listing every distinct name that matched nothing, or more than one place.
        codes="pcode" reads the values as OCHA P-codes (checked to exist); a value "pcode:SY01" is read so
        in any mode. Bare codes are otherwise refused, because FIPS codes look the same and mean other places.
        Values that name no place (see is_no_place) are errors here too: drop or label them before calling.
        """
        keys = [_key(n) for n in names]
        found = {k: self.match(k, level, codes) for k in dict.fromkeys(keys)}
        unknown = [k for k, p in found.items() if p is None]
        if unknown:
            raise UnknownPlaceError(self._explain(unknown, level, codes), unknown)
        return [found[k] for k in keys]

    def _explain(self, unknown: list[str], level: int, codes: str) -> str:
        what = "governorate" if level == 1 else "district"
        lines = []
        for name in unknown:
            if is_no_place(name):
                note = "names no place: drop or label such rows before matching (is_no_place)"
            elif _MARKUP.search(_decode(name)):
                note = "holds markup (< or >), which no place name has"
            elif codes == "pcode" or _PCODE_FORM.fullmatch(name.strip()):
                note = f"is not a level-{level} OCHA P-code"
            elif re.fullmatch(r"[a-z]*\s*\d+", normalise(name)):
                note = ("looks like a code; pass codes='pcode' or write 'pcode:...' if it is an OCHA P-code "
                        "(FIPS codes look the same but mean other places)")
            else:
                note = "matches no place, or more than one"
            lines.append(f"  {name!r}: {note}")
        return (f"{len(unknown)} distinct name(s) are not {what}s of the OCHA gazetteer:\n" + "\n".join(lines) +
                "\nIf a name is a real spelling of a place, add it to ALIASES in storykit/gazetteer.py; "
                "if it names no place or a place outside Syria, handle those rows before calling to_pcode.")


def _key(name):
    """One hashable key per value: every missing value (None, NaN, pd.NA) is None."""
    if isinstance(name, str):
        return name
    return None if name is None or pd.isna(name) else str(name)


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> Gazetteer:
    return Gazetteer(pd.read_parquet(path))


def to_pcode(names: Iterable, level: int = 1, codes: str = "names") -> list[str]:
    """Gazetteer.to_pcode with the project's processed gazetteer (data/processed/gazetteer.parquet)."""
    return Gazetteer.load(processed_dir() / "gazetteer.parquet").to_pcode(names, level, codes)
