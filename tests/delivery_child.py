"""One digest delivery in a process of its own, for tests that SIGKILL it (no tests here).

``python tests/delivery_child.py <database url> <data dir> <Slack API url> <bot token> <channel|member> <target id> <now, ISO>``
posts that target's digest with the real SlackPoster, as ``paperbot run`` would.
"""

from __future__ import annotations

import datetime as dt
import sys

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Settings
from bot.slack.poster import SlackPoster, web_client
from recommender.store import Channel, Member, Store


def main(argv: list[str]) -> int:
    url, data_dir, api_url, token, kind, target_id, now = argv
    store = Store(url, migrate=False)
    settings = Settings(data_dir=data_dir)
    commands = Commands(store, settings)
    with store.session() as session:
        target = DeliveryTarget.of(session.get(Channel if kind == "channel" else Member, int(target_id)))
    poster = SlackPoster(web_client(token, api_url))
    outcome = deliver(store, commands.recommender, settings, poster, target, now=dt.datetime.fromisoformat(now))
    print(outcome.status)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
