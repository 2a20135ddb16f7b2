"""The LLM side of the coach: client, retries, token budgets, condensing, answer checking."""
