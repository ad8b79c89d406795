"""Chinese segmentation: jieba tokens of a customer's text, normalised for counting and matching."""

import logging
import re
import threading

import jieba

_WORD = re.compile(r"\w", re.UNICODE)
_DIGITS = re.compile(r"^\d+$")
_ready = threading.Lock()
_initialised = False


def _init() -> None:
    # jieba builds its prefix dictionary on first use (~1 s); once, quietly, under a lock for threads.
    global _initialised
    with _ready:
        if not _initialised:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _initialised = True


def tokens(text: str) -> list[str]:
    """The words of `text`: lower-cased, punctuation dropped, every number one token (`<num>`), since an
    order number says what kind of contact it is, never which order."""
    if not _initialised:
        _init()
    out: list[str] = []
    for word in jieba.lcut(text.lower()):
        word = word.strip()
        if not word or not _WORD.search(word):
            continue
        out.append("<num>" if _DIGITS.match(word) else word)
    return out
