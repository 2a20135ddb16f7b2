"""Builds the library summary from the stored chunks, after each ingest run.

Everything is statistics over the guides themselves, never word lists about one field:
- a guide's **sections** are its top-level headings;
- the **topics** are phrases of the guides' titles that their own text keeps repeating
  (a title phrase the body never uses, such as "transition guide", describes the page, not
  the subject);
- the **vocabulary** (for telling a career question from an off-topic one) is the words of
  the titles, the headings and each guide's most frequent content words;
- the **starter questions** come from substantial sections whose heading words recur in
  their text, phrased by a template about structure, and each is kept only if the real
  chain answers it with citations.

The run is incremental: a guide whose chunks did not change keeps its entry (and its
``ingested_at``); when no guide changed the stored summary is kept as it is.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from coach.factory import answers_with_citations
from coach.keywords import GENERIC_WORDS, STOPWORDS, terms, words
from coach.library import GuideEntry, Library, read_library, write_library
from coach.prompt_files import load_prompt
from coach.schema import Chunk
from coach.settings import Settings
from coach.store import GuideStore
from ingest.loader import PATH_SEPARATOR

MAX_TOPICS = 4
MIN_ECHO = 2  # a topic phrase occurs this often in its guide, title line included (+1 alone)
MAX_STARTERS = 4
MAX_CHECKS = 16  # starter candidates tried against the chain, at most
PHRASE_WORDS = 4  # longest title phrase considered
GUIDE_TERMS = 30  # most frequent content terms kept per guide
MIN_SECTION_TOKENS = 40  # a starter's section must carry at least this much text
SENTENCE_HEADING = 0.5  # weight of a heading that is a whole sentence ("Start early.")
ECHO_PRIOR = 0.5  # a section whose text never repeats its heading's words still counts

Answers = Callable[[str], bool]  # whether the coach answers a question with citations

_HOW_TO = re.compile(r"how to\s+(\w.*)$", re.IGNORECASE)
_RAW_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’+#.-]*[A-Za-z0-9+#]|[A-Za-z]")
# Second person in a heading becomes first person in the user's question.
_PERSON = {
    "your": "my",
    "yours": "mine",
    "you": "I",
    "you'll": "I'll",
    "you’ll": "I’ll",
    "you're": "I'm",
    "you’re": "I’m",
    "you've": "I've",
    "you’ve": "I’ve",
    "yourself": "myself",
}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _by_guide(chunks: Iterable[Chunk]) -> dict[str, list[Chunk]]:
    grouped: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        grouped[chunk.source].append(chunk)
    return {s: sorted(c, key=lambda c: c.position) for s, c in sorted(grouped.items())}


def _digest(chunks: Sequence[Chunk]) -> str:
    joined = "\n".join(f"{c.chunk_id}:{c.content_hash}" for c in chunks)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def top_level(section: str) -> str:
    """``"Reality Check > This Week"`` -> ``"Reality Check"``."""
    return section.split(PATH_SEPARATOR, 1)[0].strip()


def guide_entry(chunks: Sequence[Chunk], ingested_at: str) -> GuideEntry:
    """The summary of one guide, from its chunks in reading order."""
    sections = list(dict.fromkeys(top_level(c.section) for c in chunks if top_level(c.section)))
    counts = Counter(
        t
        for c in chunks
        for t in terms(c.text)
        if t.isalpha() and t not in GENERIC_WORDS and len(t) > 2
    )
    return GuideEntry(
        source=chunks[0].source,
        title=chunks[0].title,
        sections=sections,
        chunks=len(chunks),
        ingested_at=ingested_at,
        digest=_digest(chunks),
        terms=dict(counts.most_common(GUIDE_TERMS)),
    )


def _fold(word: str) -> str:
    """A light ending fold ("engineers", "engineering" → "engineer") that keeps "nurse" and
    "nursing" apart, unlike a full stemmer: a topic keeps the phrase its titles use."""
    if not word.isalpha():
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes")):
                continue
            if suffix == "s" and word.endswith("ss"):
                continue
            return word[: -len(suffix)] + keep
    return word


def phrase_terms(text: str) -> list[str]:
    """The words titles and text are matched by when finding topics."""
    return [_fold(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def title_phrases(title: str) -> list[tuple[str, tuple[str, ...]]]:
    """Runs of content words in a title and their sub-phrases: (as written, their terms)."""
    runs: list[list[str]] = [[]]
    for token in re.split(r"(\s+|[:;,.!?()\[\]/|–—]|\s-\s)", title):
        token = token.strip()
        if not token:
            continue
        word = token.lower()
        generic = set(terms(word)) <= GENERIC_WORDS
        if not _RAW_WORD.fullmatch(token) or word in STOPWORDS or generic:
            runs.append([])
        else:
            runs[-1].append(token)
    phrases: dict[tuple[str, ...], str] = {}
    for run in runs:
        for size in range(1, min(PHRASE_WORDS, len(run)) + 1):
            for start in range(len(run) - size + 1):
                shown = " ".join(run[start : start + size])
                key = tuple(phrase_terms(shown))
                if len(key) == size and all(t.isalpha() for t in key):
                    phrases.setdefault(key, shown)
    return [(shown, key) for key, shown in phrases.items()]


def _occurrences(sequence: Sequence[str], phrase: tuple[str, ...]) -> int:
    n = len(phrase)
    return sum(1 for i in range(len(sequence) - n + 1) if tuple(sequence[i : i + n]) == phrase)


def _within(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    return _occurrences(whole, part) > 0


@dataclass
class _TitleStats:
    """Each title phrase: how many titles hold it, and how often each guide's text uses it."""

    coverage: Counter[tuple[str, ...]] = field(default_factory=Counter)
    echo: dict[str, Counter[tuple[str, ...]]] = field(default_factory=dict)  # per guide
    shown: dict[tuple[str, ...], str] = field(default_factory=dict)

    @classmethod
    def of(cls, guides: dict[str, list[Chunk]]) -> _TitleStats:
        stats = cls()
        for source, chunks in guides.items():
            body = [t for c in chunks for t in phrase_terms(c.text)]
            echo: Counter[tuple[str, ...]] = Counter()
            for text, key in title_phrases(chunks[0].title):
                stats.coverage[key] += 1
                echo[key] = _occurrences(body, key)
                stats.shown.setdefault(key, text)
            stats.echo[source] = echo
        return stats

    def best_echo(self, key: tuple[str, ...]) -> int:
        return max(echo[key] for echo in self.echo.values())

    def used(self, key: tuple[str, ...], echo: int) -> bool:
        """Whether the text uses a phrase enough to be about it (a lone word needs more)."""
        return echo >= MIN_ECHO + (len(key) == 1)


def topics(guides: dict[str, list[Chunk]]) -> list[str]:
    """Title phrases that their guides' text repeats, ranked by how many titles share them
    times their length (so "Registered Nurse" beats "Nurse"), then by that repetition."""
    stats = _TitleStats.of(guides)
    best = {key: stats.best_echo(key) for key in stats.coverage}
    ranked = sorted(
        (key for key in stats.coverage if stats.used(key, best[key])),
        key=lambda k: (-stats.coverage[k] * len(k), -len(k), -best[k], stats.shown[k]),
    )
    chosen: list[tuple[str, ...]] = []
    for key in ranked:
        if not any(_within(key, c) or _within(c, key) for c in chosen):
            chosen.append(key)
        if len(chosen) == MAX_TOPICS:
            break
    return [_capitalised(stats.shown[key]) for key in chosen]


def _capitalised(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


def guide_labels(guides: dict[str, list[Chunk]]) -> dict[str, str]:
    """How a question names each guide: by the phrase only its title holds and its text keeps
    using ("the Travel Nursing guide"), else by its title without the subtitle."""
    stats = _TitleStats.of(guides)
    labels = {}
    for source, chunks in guides.items():
        echo = stats.echo[source]
        own = [
            key
            for key in echo
            if len(key) > 1 and stats.coverage[key] == 1 and stats.used(key, echo[key])
        ]
        if own:
            key = max(own, key=lambda k: (len(k), echo[k]))
            labels[source] = load_prompt("guide_label.txt").format(phrase=stats.shown[key])
        else:
            labels[source] = f"“{short_title(chunks[0].title)}”"
    return labels


def vocabulary(entries: Sequence[GuideEntry]) -> list[str]:
    """The library's own words: titles, top-level headings and each guide's frequent terms."""
    found: set[str] = set()
    for entry in entries:
        found.update(terms(entry.title))
        for section in entry.sections:
            found.update(terms(section))
        found.update(entry.terms)
    return sorted(t for t in found if t.isalpha() and t not in GENERIC_WORDS and len(t) > 2)


def _names(guides: dict[str, list[Chunk]]) -> set[str]:
    """Words the guides capitalise inside sentences and never write in lower case ("Python")."""
    capital: set[str] = set()
    lower: set[str] = set()
    for chunks in guides.values():
        for chunk in chunks:
            for line in chunk.text.splitlines():
                if not _is_prose(line):
                    continue  # headings capitalise every word
                for _, word in re.findall(r"([a-z,;]) +([A-Za-z][\w'’-]*)", line):
                    (capital if word[:1].isupper() else lower).add(word.lower())
    return capital - lower


def _is_prose(line: str) -> bool:
    """A line of sentences, not a heading: it ends like a sentence or runs long."""
    line = line.strip()
    return not line.startswith("#") and (line.endswith((".", "!", "?")) or len(line.split()) > 12)


def _ordinary(word: str, names: set[str]) -> bool:
    """A word that reads in lower case inside a sentence ("Salary", not "Python" or "AI")."""
    return word.islower() or (word[1:].islower() and word.lower() not in names)


def as_asked(heading: str, names: set[str]) -> str:
    """A heading as it reads inside a user's sentence: first person, ordinary capitals."""
    out = []
    for word in heading.strip().rstrip(":.").split():
        person = _PERSON.get(word.lower())
        if person is not None:
            out.append(person)
        elif all(_ordinary(part, names) for part in word.split("-")):
            out.append(word.lower())
        else:
            out.append(word)
    return " ".join(out)


def short_title(title: str) -> str:
    """A title without its subtitle: ``"From A to B: Your 6-Month Guide"`` -> ``"From A to B"``."""
    head = re.split(r":\s|\s[-–—|]\s", title.strip(), maxsplit=1)[0].strip()
    return head or title.strip()


def starter_question(guide: str, heading: str, names: set[str]) -> str:
    """A question a reader of ``heading`` in the guide named ``guide`` would ask."""
    heading = heading.strip()
    if heading.endswith("?"):
        return heading
    how = _HOW_TO.match(heading)
    if how:  # "How to Build a Good CV" -> "How do I build a good CV?"
        return load_prompt("starter_how.txt").format(action=as_asked(how.group(1), names))
    return load_prompt("starter.txt").format(guide=guide, section=as_asked(heading, names))


def _section_candidates(chunks: Sequence[Chunk]) -> list[tuple[float, str]]:
    """(score, heading) of a guide's substantial top-level sections, best first.

    A section counts when it carries text and its heading has a content word; it ranks
    higher with more text and when its heading's words recur in that text: a heading that
    names its content ("Salary Expectations") rather than a signpost ("Reality Check"). A
    heading that only repeats the guide's title ("Hiring process" in "Hiring process") would
    make a question that asks the guide about itself.
    """
    titled = set(terms(chunks[0].title)) if chunks else set()  # one title per guide
    sections: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        heading = top_level(chunk.section)
        if heading and heading != chunk.title:
            sections[heading].append(chunk)
    scored = []
    for heading, parts in sections.items():
        tokens = sum(c.tokens for c in parts)
        asked = [t for t in set(terms(heading)) if t not in GENERIC_WORDS]
        if tokens < MIN_SECTION_TOKENS or not asked or set(asked) <= titled:
            continue
        body = Counter(t for c in parts for t in terms(c.text))
        echo = sum(1 for t in asked if body[t] >= 2) / len(asked)  # the heading line is one
        score = (ECHO_PRIOR + echo) * math.log1p(tokens)
        if heading.rstrip().endswith((".", "!")):
            score *= SENTENCE_HEADING  # a sentence reads badly inside a question
        scored.append((score, heading))
    return sorted(scored, key=lambda s: -s[0])


def starters(guides: dict[str, list[Chunk]], answers: Answers | None) -> list[str]:
    """Up to MAX_STARTERS questions from different guides, each answered with citations."""
    names = _names(guides)
    labels = guide_labels(guides)
    queues = []
    for source, chunks in guides.items():
        ranked = _section_candidates(chunks)
        if ranked:
            questions = [starter_question(labels[source], h, names) for _, h in ranked]
            queues.append((ranked[0][0], questions))
    queues.sort(key=lambda q: -q[0])
    order: list[str] = []  # round robin: each guide's best section, then its second best…
    for depth in range(max((len(q) for _, q in queues), default=0)):
        order.extend(q[depth] for _, q in queues if depth < len(q))
    chosen: list[str] = []
    for question in list(dict.fromkeys(order))[:MAX_CHECKS]:
        if answers is None or answers(question):
            chosen.append(question)
        if len(chosen) == MAX_STARTERS:
            break
    return chosen


def summarise(
    chunks: Iterable[Chunk],
    previous: Library | None = None,
    answers: Answers | None = None,
    now: str | None = None,
) -> Library:
    """The summary of ``chunks``; guides unchanged since ``previous`` keep their entries."""
    guides = _by_guide(chunks)
    known = {g.source: g for g in (previous.guides if previous else [])}
    stamp = now or _now()
    entries = []
    for source, parts in guides.items():
        old = known.get(source)
        entry = old if old and old.digest == _digest(parts) else guide_entry(parts, stamp)
        entries.append(entry)
    if previous and [e.digest for e in entries] == [g.digest for g in previous.guides]:
        return previous
    found = topics(guides) or [short_title(e.title) for e in entries[:MAX_TOPICS]]
    return Library(
        guides=entries,
        topics=found,  # titles whose phrases the text never repeats stand for themselves
        starters=starters(guides, answers),
        vocabulary=vocabulary(entries),
    )


def refresh_library(
    store: GuideStore, settings: Settings, answers: Answers | None = None
) -> Library:
    """Bring the stored summary in line with the stored chunks; returns it.

    ``answers`` tells whether the coach answers a starter question with citations; by
    default the offline coach of the one factory (``coach.factory.answers_with_citations``),
    so ingest never assembles a coach of its own.
    """
    previous = read_library(store)
    chunks = store.all_chunks()
    if not chunks:
        library = Library()
    else:
        library = summarise(chunks, previous, answers or answers_with_citations(settings, store))
    if library is not previous:
        write_library(store, library)
    return library


def load_library(store: GuideStore, settings: Settings) -> Library:
    """The stored summary; a store ingested before summaries existed gets one now (saved).

    The loader the CLI and the API give the factory (``coach.factory.LibraryLoader``).
    """
    library = read_library(store)
    if library is None and store.count() > 0:
        library = refresh_library(store, settings)
    return library or Library()
