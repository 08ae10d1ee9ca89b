"""Write poster_engine/core/cldr_quotes.py: CLDR's first-level quotation marks for every locale Babel
knows, as ICU carries them (Babel does not import CLDR's delimiters).

A maintainer's tool, run when Babel or CLDR moves on; it needs PyICU (`pip install PyICU`, built
against the system ICU), which the engine itself does not. Each language gets its marks, and a
locale only where they differ from its language's (es_MX “…” against es «…»).

    python scripts/cldr_quotes.py
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import babel
import icu
from babel import localedata

q = partial(json.dumps, ensure_ascii=False)  # double quotes, as the formatter writes them
OUT = Path(__file__).resolve().parent.parent / "poster_engine" / "core" / "cldr_quotes.py"


def marks(locale_id: str) -> tuple[str, str]:
    data = icu.LocaleData(locale_id)
    kind = icu.ULocaleDataDelimiterType
    return data.getDelimiter(kind.QUOTATION_START), data.getDelimiter(kind.QUOTATION_END)


def main() -> None:
    languages: dict[str, tuple[str, str]] = {}
    locales: dict[str, tuple[str, str]] = {}
    for locale_id in sorted(localedata.locale_identifiers()):
        language = locale_id.split("_")[0]
        languages.setdefault(language, marks(language))
        if locale_id != language and marks(locale_id) != languages[language]:
            locales[locale_id] = marks(locale_id)
    rows = "".join(f"    {q(k)}: ({q(a)}, {q(b)}),\n" for k, (a, b) in {**languages, **locales}.items())
    OUT.write_text(
        '"""CLDR\'s first-level quotation marks by locale (`quotationStart`, `quotationEnd`): each\n'
        "language's, and a locale's where they differ from its language's. Written by\n"
        f"scripts/cldr_quotes.py from ICU {icu.ICU_VERSION} for the locales of Babel {babel.__version__};\n"
        'do not edit. Read by core/languages.py for languages without house rules."""\n\n'
        "from __future__ import annotations\n\n"
        "QUOTES: dict[str, tuple[str, str]] = {\n" + rows + "}\n"
    )


if __name__ == "__main__":
    main()
