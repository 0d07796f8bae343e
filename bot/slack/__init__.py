"""The Slack adapter (slack-bolt): Block Kit rendering, the Bolt app, the digest poster,
the OAuth install stores and the runtime ``paperbot run`` starts.

Slack-specific code only translates: every action goes through
:class:`bot.commands.Commands`. See docs/slack.md.
"""

from bot.slack.app import build_app, serve_http
from bot.slack.poster import SlackPoster
from bot.slack.runtime import SlackRuntime, create_runtime

__all__ = ["build_app", "serve_http", "SlackPoster", "SlackRuntime", "create_runtime"]
