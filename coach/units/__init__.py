"""A guide's units (whole sentences, list items, table rows): split, index, store."""
