"""Insights for the people who keep the guides: what is asked, unanswered and disliked.

Data flows one way: the history store -> :mod:`records` -> grouping and coverage ->
:class:`~coach.insights.report.InsightsReport` -> JSON, CSV or HTML.
"""
