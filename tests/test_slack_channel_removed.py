"""A Slack workspace that uninstalled the app: its channels' digests are refused every day (``account_inactive``:
*unreachable*, never retried), the bot no longer hears ``/papers channel off`` there and no ``/papers`` command
deletes a channel, so the command line removes them (``paperbot channels remove <name or channel id> --platform
slack [--workspace T…]``) as a Discord channel deleted in its server is (``Commands.channel_remove``): the
channel, its settings and digests go, in one transaction; the 👍/👎 given there stay with the people who gave
them, and the running service's ``sync`` drops the channel's digest job."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from slack_requests import papers_command
from sqlalchemy import func, select

from bot.delivery import DeliveryTarget, deliver
from bot.service.context import JobContext
from bot.service.scheduler import make_scheduler, sync_digest_jobs
from bot.service.triggers import digest_job_id
from bot.slack.poster import SlackPoster
from recommender.store import Channel, Delivery, Feedback, Member

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)


def set_up(app, fake, channel: str, name: str, team: str = "T1") -> None:
    """``/papers channel setup`` typed in ``channel`` (called ``name``) of workspace ``team``, through Bolt."""
    papers_command(app, fake, "channel setup 08:00 UTC 3 graph neural networks", team=team, channel=channel,
                   channel_name=name)


def channel_id(store, team: str, ref: str) -> int:
    with store.session() as s:
        return s.scalar(select(Channel.id).where(Channel.workspace == team, Channel.channel_ref == ref))


def listed(cli) -> list[tuple[str, str, str | None]]:
    """``paperbot channels list --json``: (workspace, channel id, name) of each channel."""
    return [(c["workspace"], c["channel"], c["name"]) for c in json.loads(cli("channels", "list", "--json").stdout)]


def said(result) -> str:
    return " ".join(result.output.split())


def test_a_channel_of_a_workspace_that_uninstalled_the_app_is_removed_from_the_command_line(
        slack_bolt, slack_fake, papers_store, settings, cli):
    commands, app = slack_bolt
    set_up(app, slack_fake, "C1", "papers")
    set_up(app, slack_fake, "C2", "general")
    set_up(app, slack_fake, "C9", "papers", team="T2")  # another workspace's #papers
    papers_command(app, slack_fake, "like #24", channel="C1", channel_name="papers")  # ada's 👍, given in T1's #papers
    reading = channel_id(papers_store, "T1", "C1")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.get(Channel, reading))
    poster = SlackPoster(app.client)
    assert deliver(papers_store, commands.recommender, settings, poster, target, now=NOW).status == "posted"
    slack_fake.fail_next("chat.postMessage", error="account_inactive")  # T1 uninstalled the app
    refused = deliver(papers_store, commands.recommender, settings, poster, target, now=NOW + dt.timedelta(days=1))
    assert refused.status == "unreachable"
    before = listed(cli)
    assert before == [("T1", "C1", "papers"), ("T1", "C2", "general"), ("T2", "C9", "papers")]

    # the local command knows no such channel, an unknown name or id is said so, a shared name is refused: nothing changes
    local = cli("channels", "remove", "papers")
    assert local.exit_code == 1 and "unknown channel 'papers'" in said(local)
    unknown = cli("channels", "remove", "nosuch", "--platform", "slack")
    assert unknown.exit_code == 1 and "no slack channel 'nosuch' (by channel id or name" in said(unknown)
    shared = cli("channels", "remove", "papers", "--platform", "slack")
    assert shared.exit_code == 1
    assert "'papers' names 2 slack channels: give the channel id, one of C1 (workspace T1), C9 (workspace T2)" in said(shared)
    elsewhere = cli("channels", "remove", "general", "--platform", "slack", "--workspace", "T2")
    assert elsewhere.exit_code == 1 and "no slack channel 'general' in workspace T2" in said(elsewhere)
    assert listed(cli) == before

    removed = cli("channels", "remove", "#papers", "--platform", "slack", "--workspace", "T1")
    assert removed.exit_code == 0, removed.output
    assert ("Removed #papers: no more digests there. Its settings and change log are gone; 👍/👎 given in it stay "
            "with the people who gave them.") in said(removed)
    assert listed(cli) == [("T1", "C2", "general"), ("T2", "C9", "papers")]
    targets = json.loads(cli("status", "--json").stdout)["targets"]
    assert sorted(t["id"] for t in targets) == sorted([channel_id(papers_store, "T1", "C2"), channel_id(papers_store, "T2", "C9")])
    with papers_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Delivery).where(Delivery.target_id == reading)) == 0
        likes = s.execute(select(Member.user_ref, Feedback.value, Feedback.channel_id).join(Member)).all()
        assert [tuple(r) for r in likes] == [("U1", 1, None)]  # ada's 👍 stays hers, tied to no channel

    by_id = cli("channels", "remove", "C9", "--platform", "Slack")
    assert by_id.exit_code == 0, by_id.output
    again = cli("channels", "remove", "C9", "--platform", "slack")
    assert again.exit_code == 1 and "no slack channel 'C9'" in said(again)
    assert listed(cli) == [("T1", "C2", "general")]


def test_a_channel_shared_between_workspaces_is_removed_from_the_one_named(slack_bolt, slack_fake, papers_store, cli):
    _, app = slack_bolt
    for team in ("T1", "T2"):  # a Slack Connect channel: one id, set up from both workspaces
        set_up(app, slack_fake, "C5", "joint", team=team)
    both = cli("channels", "remove", "C5", "--platform", "slack")
    assert both.exit_code == 1
    assert ("'C5' names 2 slack channels: give the channel id and --workspace, one of C5 (workspace T1), "
            "C5 (workspace T2)") in said(both)
    assert cli("channels", "remove", "C5", "--platform", "slack", "--workspace", "T2").exit_code == 0
    assert listed(cli) == [("T1", "C5", "joint")]

    # what the command line cannot mean is a usage error, changing nothing
    for args in (("--platform", "teams"), ("--workspace", "T1"), ("--platform", "cli", "--workspace", "T1")):
        result = cli("channels", "remove", "C5", *args)
        assert result.exit_code == 2, (args, result.output)
    assert listed(cli) == [("T1", "C5", "joint")]


async def test_the_running_service_drops_a_removed_channels_digest_job(slack_bolt, slack_fake, papers_store, settings, cli):
    _, app = slack_bolt
    set_up(app, slack_fake, "C1", "papers")
    set_up(app, slack_fake, "C2", "general")
    ctx = JobContext(papers_store, settings, {"slack": SlackPoster(app.client)})
    scheduler = make_scheduler(papers_store)
    scheduler.start(paused=True)
    try:
        gone, kept = (digest_job_id("channel", channel_id(papers_store, "T1", ref)) for ref in ("C1", "C2"))
        assert sorted(sync_digest_jobs(scheduler, ctx).added) == sorted([gone, kept])
        assert cli("channels", "remove", "papers", "--platform", "slack").exit_code == 0  # another process
        report = sync_digest_jobs(scheduler, ctx)  # the next sync
        assert report.removed == [gone] and not report.added and not report.updated
        assert [j.id for j in scheduler.get_jobs(jobstore="default")] == [kept]
    finally:
        scheduler.shutdown(wait=False)
