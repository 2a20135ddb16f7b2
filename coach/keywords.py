"""Word-level text analysis shared by BM25 and follow-up expansion."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9][a-z0-9+#.\-]*[a-z0-9+#]|[a-z0-9]")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his
    how i if in into is it its itself just me more most my myself no nor not now of off
    on once only or other our ours ourselves out over own same she should so some such
    than that the their theirs them themselves then there these they this those through
    to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves ill im ive id youre dont doesnt isnt
    cant wont whats hows thats lets get got go going gonna want wanted need needs like
    really much many well thing things tell told say said know think thinking make way
    could should might may must shall please thanks thank hi hello hey ok okay yes yeah
    sure one two arent wasnt werent didnt hasnt havent hadnt couldnt shouldnt wouldnt
    mustnt youll youve youd weve theyre theyve theyll hes shes itll thatll theres heres
    wheres whos let""".split()
)

# Everyday words that say nothing about a topic: absent from the guides, yet no sign that a
# question is off their map ("Is it worth it?", "How long…", "Is Kubernetes useful?").
_GENERIC = """long short good bad best better worse worth useful use used help helpful start begin
    time take took right wrong hard easy difficult possible likely typical typically usual
    normal average common new old big small little lot lots first next last today tomorrow
    now soon later day days week weeks month months year years realistic realistically
    actually exactly really idea advice recommend suggestion option options plan step steps
    mean means expect expected chance chances enough okay fine great nice kind sort move
    moving ask asks asked asking mention mentions mentioned guide guides say says often
    usually generally general overall main key important importance matter matters
    role roles job jobs people person someone somebody anyone everyone thing stuff
    part parts place end ending land landing reach""".split()


_STEMMER = snowballstemmer.stemmer("english")


# British spellings folded into American ones before stemming ("memorise", "behaviour",
# "centre" meet "memorize", "behavior", "center"). Applied to guides and questions alike, so
# a word the rule bends by mistake ("detour") still only meets itself.
_SPELLING = (
    (re.compile(r"(?<=\w{3})is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=\w{3})ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"(?<=\w[^aeiou]|\wi)our(s|al|ally|ed|ing|ite|ites|able|ful)?$"), r"or\1"),
    (re.compile(r"(?<=\w{2})([tb])re(s)?$"), r"\1er\2"),
)


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """Snowball (Porter 2) stem, so 'compared' meets 'compare' and 'skills' meets 'skill'."""
    if not word.isalpha():
        return word
    for pattern, american in _SPELLING:
        word = pattern.sub(american, word)
    return str(_STEMMER.stemWord(word))


_POSSESSIVE = re.compile(r"['’]s\b")
_APOSTROPHE = re.compile(r"(?<=[a-z])['’](?=[a-z])")


def words(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation dropped (keeps c++, c#, node.js, 3-6).

    Contractions are one word ("I've" → "ive", "don't" → "dont", both stopwords) and a
    possessive is its noun ("PostHog's" → "posthog"), so no "ve" or "don" fragments.
    """
    text = _APOSTROPHE.sub("", _POSSESSIVE.sub("", text.lower()))
    return _WORD.findall(text)


def terms(text: str) -> list[str]:
    """Content terms for matching: words without stopwords, lightly stemmed."""
    return [_stem(w) for w in words(text) if (w not in STOPWORDS and len(w) > 1) or w.isdigit()]


GENERIC_WORDS = frozenset(_stem(w) for w in _GENERIC)


_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")


def names_in(text: str) -> list[str]:
    """Capitalised words inside a sentence, not its first word: names ("Berlin", "Copilot")."""
    found = []
    for match in _CAPITALISED.finditer(text):
        before = text[: match.start()].rstrip()
        if len(match.group(0)) > 1 and before and before[-1] not in ".?!:;\"'“‘(":
            found.append(match.group(0))
    return found
