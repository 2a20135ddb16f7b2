"""The LLM side of the coach: client, retries, token budgets, citations, condensing."""
