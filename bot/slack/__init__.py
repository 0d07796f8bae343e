"""The Slack adapter (slack-bolt): Block Kit rendering, the Bolt app, the digest poster,
the OAuth install stores and the runtime ``paperbot run`` starts.

Slack-specific code only translates: every action goes through
:class:`bot.commands.Commands`. See docs/slack.md.
"""

from bot.slack.app import build_app
from bot.slack.http import serve_http
from bot.slack.poster import SlackPoster
from bot.slack.runtime import SlackRuntime, create_runtime

__all__ = ["SlackPoster", "SlackRuntime", "build_app", "create_runtime", "serve_http"]
