"""Fitting the coach's models (the unit scorer, the coverage judge) on the eval corpora."""
