"""The roof: the `coach` command, the only code that assembles coach, ingest, api and eval."""
