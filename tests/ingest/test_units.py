"""What ingest stores beside the chunks: units, unit vectors and keyword terms, per guide."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from coach.errors import EmbeddingMismatchError
from coach.factory import build
from coach.settings import Settings
from coach.store import EMBEDDING_RECIPE, MODEL_KEY, RECIPE_KEY, GuideStore
from coach.units.store import DerivedStore
from ingest.lock import IngestRunning, ingest_lock
from ingest.pipeline import run_ingest
from tests.ingest.fakes import RecordingEmbeddings
from tests.support import SEEDS, make_settings


def derived_of(store: GuideStore, settings: Settings) -> DerivedStore:
    return DerivedStore.for_collection(
        settings.data_dir, store.name, store.model_id, EMBEDDING_RECIPE
    )


def files(derived: DerivedStore) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in derived.root.glob("*.npz")}


def test_every_stored_chunk_has_its_units_and_unit_vectors(
    corpus: Path, store: GuideStore, settings: Settings
) -> None:
    run_ingest([corpus], store, settings)
    derived = derived_of(store, settings)
    records = derived.load()
    chunks = store.all_chunks()
    assert len(files(derived)) == len(list(corpus.iterdir()))
    assert {c.chunk_id for c in chunks} == set(records)
    for chunk in chunks:
        record = records[chunk.chunk_id]
        assert record.content_hash == chunk.content_hash and record.units
        assert record.vectors.shape == (len(record.units), 384)
        norms = np.linalg.norm(record.vectors, axis=1)
        assert np.allclose(norms[norms > 0], 1.0, atol=1e-2)
        assert record.own_vectors.shape == record.vectors.shape
        assert np.allclose(np.linalg.norm(record.own_vectors, axis=1), 1.0, atol=1e-2)
        assert record.terms  # the keyword index's words, stored too
    assert derived.generation()


def test_each_unit_is_also_embedded_on_its_own_after_its_title_and_heading(
    corpus: Path, store: GuideStore, settings: Settings
) -> None:
    run_ingest([corpus], store, settings)
    records = derived_of(store, settings).load()
    chunk = next(c for c in store.all_chunks() if len(records[c.chunk_id].units) >= 3)
    record = records[chunk.chunk_id]
    texts = [f"{chunk.title}. {u.scoring_text}" for u in record.units]
    alone = np.asarray(store.embeddings.embed_documents(texts), dtype=np.float32)
    # Stored as float16: equal to a fresh embedding of the same text to about 1e-3.
    assert np.allclose(record.own_vectors, alone, atol=5e-3)
    # Read in its passage, a unit's vector is another one: both reach the scorer.
    cosines = np.sum(record.vectors * record.own_vectors, axis=1)
    assert (cosines < 0.99).all()


def test_a_changed_guide_rewrites_only_its_own_units(
    corpus: Path, store: GuideStore, settings: Settings
) -> None:
    run_ingest([corpus], store, settings)
    derived = derived_of(store, settings)
    before = files(derived)
    generation = derived.generation()
    guide = corpus / "backend-engineer-to-ai-engineer-roadmap.md"
    guide.write_text(guide.read_text().replace("2-3 months", "3-4 months"))
    time.sleep(0.01)
    run_ingest([corpus], store, settings)
    after = files(derived)
    changed = [name for name in after if after[name] != before[name]]
    assert len(changed) == 1
    assert derived.generation() != generation
    texts = [u.text for r in derived.load_source(guide.name).values() for u in r.units]
    assert any("3-4 months" in t for t in texts) and not any("2-3 months" in t for t in texts)


def test_a_removed_guide_takes_its_units_with_it_and_reset_clears_them(
    corpus: Path, store: GuideStore, settings: Settings
) -> None:
    run_ingest([corpus], store, settings)
    derived = derived_of(store, settings)
    removed = corpus / "ai-solutions-architect-transition-guide.txt"
    removed.unlink()
    run_ingest([corpus], store, settings)
    assert len(files(derived)) == len(list(corpus.iterdir()))
    assert derived.load_source(removed.name) == {}
    run_ingest([corpus / "backend-developer-to-ai-engineer.txt"], store, settings, reset=True)
    assert len(files(derived)) == 1


def test_a_store_from_the_previous_recipe_is_upgraded_by_a_folder_run(
    corpus: Path, store: GuideStore, settings: Settings
) -> None:
    run_ingest([corpus], store, settings)
    meta = dict(store.collection.metadata or {})
    store.collection.modify(metadata={**meta, RECIPE_KEY: "title-section-text/1"})
    old = GuideStore(store.client, store.name, store.embeddings)
    with pytest.raises(EmbeddingMismatchError, match="coach ingest --reset PATH"):
        run_ingest([corpus / "backend-developer-to-ai-engineer.txt"], old, settings)
    report = run_ingest([corpus], old, settings)
    assert report.upgraded and report.reset
    fresh = GuideStore(store.client, store.name, store.embeddings)
    assert fresh.recorded() == (store.model_id, EMBEDDING_RECIPE)
    assert (fresh.collection.metadata or {})[MODEL_KEY] == store.model_id


def test_a_second_ingest_on_the_same_store_is_refused_with_a_clear_message(
    corpus: Path, store: GuideStore, settings: Settings
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from ingest.lock import ingest_lock\n"
            f"with ingest_lock(Path({str(settings.data_dir)!r}), {store.name!r}):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IngestRunning, match=f"pid {holder.pid}.*wait for it"):
            run_ingest([corpus], store, settings)
        assert store.count() == 0  # nothing was written
    finally:
        holder.kill()
        holder.wait()
    run_ingest([corpus], store, settings)  # the lock is free once its holder is gone
    assert store.count() > 0
    with ingest_lock(settings.data_dir, store.name):  # re-entrant within one process
        assert run_ingest([corpus], store, settings).unchanged == store.count()


def test_two_ingest_processes_on_different_folders_never_mix(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folders = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        for guide in sorted(SEEDS.iterdir())[: 2 if name == "a" else 5][-2:]:
            (folder / guide.name).write_bytes(guide.read_bytes())
        folders.append(folder)
    env = {**os.environ, "COACH_DATA_DIR": str(data)}
    coach = [str(Path(sys.executable).with_name("coach")), "ingest"]
    runs = [
        subprocess.Popen(
            [*coach, str(f)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in folders
    ]
    outcomes = [r.communicate(timeout=240) for r in runs]
    codes = [r.returncode for r in runs]
    assert 0 in codes
    if codes != [0, 0]:  # one waited on the other: told so in one line
        loser = outcomes[codes.index(next(c for c in codes if c != 0))]
        assert "Another ingest is running" in loser[0] + loser[1]
    parts = build(make_settings(data))
    sources = {c.source for c in parts.store.all_chunks()}
    winners = [f for f, c in zip(folders, codes, strict=True) if c == 0]
    assert sources == {p.name for p in winners[-1].iterdir()}


def test_loading_a_store_embeds_nothing_but_the_question(
    corpus: Path, settings: Settings, recorder: RecordingEmbeddings
) -> None:
    parts = build(settings)
    run_ingest([corpus], parts.store, settings)
    again = build(settings)
    spy = RecordingEmbeddings(recorder.inner, {})
    again.store.embeddings = spy
    again.units.embeddings = spy
    again.coach.generator.embeddings = spy  # type: ignore[attr-defined]
    again.units.load()
    answer = again.coach.ask("How long does the transition to AI engineering take?")
    assert not answer.refused and spy.embedded == []  # units came from the store


def test_a_running_coach_answers_during_another_process_ingest_and_then_from_new_guides(
    tmp_path: Path,
) -> None:
    data, folder = tmp_path / "data", tmp_path / "guides"
    folder.mkdir()
    for guide in SEEDS.glob("*.md"):
        (folder / guide.name).write_bytes(guide.read_bytes())
    env = {**os.environ, "COACH_DATA_DIR": str(data)}
    ingest = [str(Path(sys.executable).with_name("coach")), "ingest", str(folder)]
    subprocess.run(ingest, env=env, check=True, capture_output=True, timeout=240)
    parts = build(make_settings(data))
    question = "What salary range can an AI Solutions Architect expect?"
    before = parts.coach.ask(question)
    assert all("architect" not in c.source for c in before.citations)
    for guide in SEEDS.glob("*.txt"):
        (folder / guide.name).write_bytes(guide.read_bytes())
    errors: list[BaseException] = []
    answered = 0
    done = threading.Event()
    run = subprocess.Popen(ingest, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def keep_asking() -> None:
        nonlocal answered
        while not done.is_set():
            try:
                parts.coach.ask("How do I get my first AI engineering job?")
                answered += 1
            except BaseException as exc:
                errors.append(exc)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        assert run.wait(timeout=240) == 0
    finally:
        done.set()
        asker.join(60)
    assert errors == [] and answered > 0
    finished = time.monotonic()
    while time.monotonic() - finished < 5:
        answer = parts.coach.ask(question)
        if any("architect" in c.source for c in answer.citations):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the new guide was not answered from within 5 s of the ingest")
    assert parts.watcher.reloads >= 1
