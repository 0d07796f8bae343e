"""A Slack or Discord id typed on the command line matches in any case: the trial's ``paperbot users remove
--platform slack u0abc`` found no member ``U0ABC``. Names are kept as typed, so they still match exactly."""

from __future__ import annotations

from sqlalchemy import select

from recommender.store import Channel, Member


def add_slack_rows(store) -> None:
    with store.session() as session:
        session.add(Member(platform="slack", workspace="T0AAAAAAAAA", user_ref="U0ABC", display_name="kim",
                           interests=["graphs"]))
        session.add(Channel(platform="slack", workspace="T0AAAAAAAAA", channel_ref="C0ABC", name="papers"))


def refs(store, model, column) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(column).where(model.platform == "slack")))


def test_users_remove_takes_a_slack_user_and_workspace_id_in_any_case(cli, store):
    add_slack_rows(store)
    by_name = cli("users", "remove", "KIM", "--platform", "slack")  # a name is as stored: kim, not KIM
    assert by_name.exit_code == 1 and "no slack member 'KIM'" in by_name.output
    removed = cli("users", "remove", "u0abc", "--platform", "slack", "--workspace", "t0aaaaaaaaa")
    assert removed.exit_code == 0, removed.output
    assert refs(store, Member, Member.user_ref) == []


def test_channels_remove_takes_a_slack_channel_id_in_any_case(cli, store):
    add_slack_rows(store)
    assert cli("channels", "remove", "PAPERS", "--platform", "slack").exit_code == 1
    removed = cli("channels", "remove", "c0abc", "--platform", "slack")
    assert removed.exit_code == 0, removed.output
    assert refs(store, Channel, Channel.channel_ref) == []
