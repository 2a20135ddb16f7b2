"""Answer generators: the offline extractive one and the LLM one, behind one interface."""
