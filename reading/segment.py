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


# Particles and pronouns that every question has: searched for, they match everything and rank nothing.
_PARTICLES = "的 了 吗 呢 吧 啊 呀 是 在 我 你 他 她 它 们 我们 您 请 请问 后 未 和 与 或 就 都"
_FILLERS = "也 还 又 能 会 要 有 没 不 这 那 <num>"
STOP = frozenset(_PARTICLES.split() + _FILLERS.split())


def terms(text: str) -> list[str]:
    """The words of `text` worth searching for: its tokens without particles, each once, in order."""
    seen: dict[str, None] = {}
    for word in tokens(text):
        if word not in STOP:
            seen.setdefault(word, None)
    return list(seen)
