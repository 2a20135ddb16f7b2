"""A scripted OpenAI-compatible server and the fixtures of every test that talks to it."""
