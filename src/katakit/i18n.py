"""The language learners read: English or Chinese, for statements, hints, tables and messages.

The language is, in order: ``--lang`` (which sets ``KATAKIT_LANG`` for everything the command
starts), ``KATAKIT_LANG``, then the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``:
``zh_CN.UTF-8`` reads Chinese), and English otherwise.

Engine strings are marked ``_("...")`` and translated through gettext catalogues in
``katakit/locale/<lang>/LC_MESSAGES/katakit.po``, which Babel extracts and compiles
(``docs/translating.md``). Messages with values use named fields, ``_("{n} s").format(n=3)``,
so that a translation may put them in its own order.
"""

from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

LANGUAGES = ("en", "zh")
DOMAIN = "katakit"
LOCALE_DIR = Path(__file__).parent / "locale"
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def language() -> str:
    """``"zh"`` or ``"en"``, from ``KATAKIT_LANG`` or else the locale."""
    chosen = os.environ.get("KATAKIT_LANG", "").strip().lower()
    if chosen:
        return _known(chosen)
    for name in _LOCALE_VARIABLES:
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _known(lang: str) -> str:
    short = lang.replace("-", "_").split("_")[0]
    if short not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; katakit speaks {', '.join(LANGUAGES)}")
    return short


def set_language(lang: str) -> None:
    """Use ``lang`` from now on, here and in every process started from here."""
    os.environ["KATAKIT_LANG"] = _known(lang)


@functools.cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language (itself where no translation exists)."""
    return _catalogue(language()).gettext(message)


def pick(en: str, zh: str | None) -> str:
    """Of a text written in both languages, the one to show; English where Chinese is missing."""
    return zh if zh and language() == "zh" else en


def N_(message: str) -> str:
    """Mark ``message`` for extraction where it is defined; translate it with ``_`` where shown."""
    return message
