"""Ingestion of the career guides: load, chunk, embed and store them idempotently.

``run_ingest`` (pipeline) drives ``load_guide`` (loader, with heading recovery in headings)
and ``chunk_guide`` (chunker); ``render_report`` (report) shows the result.
"""
