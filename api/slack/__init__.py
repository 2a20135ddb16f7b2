"""The coach as a Slack app: mentions, DMs, threads, a slash command, sources and feedback.

Built on slack-bolt's ``AsyncApp``; served over HTTP at ``POST /slack/events`` by
``coach serve`` or over Socket Mode by ``coach slack``.
"""
