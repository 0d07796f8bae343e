"""The Slack app end to end, offline: signed requests as Slack sends them, a fake Web API,
the real command layer and store."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_requests import SIGNING_SECRET, block_action, bolt_request, reaction_event, signed_headers, slash_command
from sqlalchemy import func, select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Secrets
from bot.slack.app import build_app, reaction_value
from bot.slack.blocks import ACTION_DOWN, ACTION_RATE_SKIP, ACTION_SHARE, ACTION_UP
from bot.slack.http import serve_http
from bot.slack.poster import SlackPoster
from recommender.store import Channel, ChannelChange, Delivery, DeliveryItem, Feedback, Member, Paper

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
TOKEN = "xoxb-test-single-workspace"


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}) as f:
        yield f
        assert f.invalid_blocks() == []  # every message was valid Block Kit


@pytest.fixture
def slack(papers_store, settings, fake):
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings)
    secrets = Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET)
    app = build_app(commands, settings, secrets=secrets, process_before_response=True)
    return commands, app


def run(app, fake, text, name="cmd", **kw):
    """Dispatch a signed ``/papers`` command; return (HTTP response, what was sent to response_url)."""
    before = len(fake.of("response_url"))
    resp = app.dispatch(bolt_request(slash_command(text, response_url=fake.response_url(name), **kw)))
    answers = fake.of("response_url")[before:]
    return resp, (answers[-1].params if answers else None)


def paper_ids(blocks):
    return [int(b["block_id"].split("-")[1]) for b in blocks if b.get("block_id", "").startswith("paper-")]


def feedback_rows(store):
    with store.session() as s:
        return {(f.paper_id, f.value, f.origin) for f in s.scalars(select(Feedback))}


def test_reaction_names_and_skin_tones():
    assert [reaction_value(r) for r in ("+1", "thumbsup", "+1::skin-tone-3", "thumbsup::skin-tone-6")] == [1] * 4
    assert [reaction_value(r) for r in ("-1", "thumbsdown", "-1::skin-tone-2")] == [-1] * 3
    assert reaction_value("heart") is None and reaction_value("") is None


def test_a_full_day_in_a_channel(slack, fake, settings):
    commands, app = slack
    store = commands.store

    # someone sets the channel up: the answer is visible to the channel, the change is logged with who made it
    resp, answer = run(app, fake, "channel setup 09:30 Europe/Berlin 5 graph neural networks")
    assert resp.status == 200
    assert answer["response_type"] == "in_channel" and "Channel digest is on" in answer["text"]
    resp, answer = run(app, fake, "channel status", user="U9", user_name="grace")
    assert answer["response_type"] == "ephemeral"
    assert "UTC <@U1>: setup" in answer["text"] and "Europe/Berlin" in answer["text"]  # a mention Slack renders

    # a second person, new here: their first picks start onboarding by DM, which they skip
    _, started = run(app, fake, "picks", user="U2", user_name="bob")
    assert "direct message" in started["text"] and len(fake.posts("DU2")) == 1
    app.dispatch(bolt_request(block_action(ACTION_RATE_SKIP, "skip", user="U2", user_name="bob", channel="DU2")))
    # their picks, before any feedback
    _, before = run(app, fake, "picks", user="U2", user_name="bob")
    assert before["response_type"] == "ephemeral"
    picks_before = paper_ids(before["blocks"])
    assert len(picks_before) == 5

    # the day's digest, through the real delivery claim and the Slack poster
    with store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    poster = SlackPoster(app.client)
    outcome = deliver(store, commands.recommender, settings, poster, target, now=NOW)
    assert outcome.status == "posted" and outcome.papers == 5

    posts = fake.posts("C1")
    header, replies = posts[0], posts[1:]
    assert len(replies) == 5 and all(p.token == TOKEN for p in posts)
    blocks = header.params["blocks"]
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"].startswith("Papers for #papers")
    assert "thread_ts" not in header.params and header.params["text"].startswith("Papers for #papers")
    sections = [b for b in blocks if b.get("block_id", "").startswith("paper-")]
    assert len(sections) == 5 and all(b["text"]["text"].startswith(f"*{n}. ") for n, b in enumerate(sections, 1))
    assert sum(1 for b in blocks if b["type"] == "context" and b["elements"][0]["text"].startswith("Why: ")) == 5
    buttons = [b for b in blocks if b["type"] == "actions"]
    assert [[e["action_id"] for e in b["elements"]] for b in buttons] == [[ACTION_UP, ACTION_DOWN]] * 5
    dms = len(fake.posts("DU2"))  # the fake numbers its timestamps in order, bob's DMs first
    header_ts = f"1700000000.{1 + dms:06d}"
    assert all(r.params["thread_ts"] == header_ts for r in replies)

    with store.session() as s:
        delivery = s.scalar(select(Delivery))
        assert delivery.message_ref == f"C1:{header_ts}"
        items = list(delivery.items)
        assert [i.message_ref for i in items] == [f"C1:1700000000.{n:06d}" for n in range(2 + dms, 7 + dms)]
        assert paper_ids(blocks) == [i.paper_id for i in items]
        liked, disliked = items[0].paper_id, items[1].paper_id
        refs = {i.paper_id: i.message_ref for i in items}
        delivery_id, channel_id = delivery.id, delivery.target_id

    # 👍 (with a skin tone) on one paper, 👎 on another, by bob
    for kind, reaction, paper in (("reaction_added", "+1::skin-tone-3", liked), ("reaction_added", "thumbsdown", disliked)):
        assert app.dispatch(bolt_request(reaction_event(kind, reaction, refs[paper], user="U2"))).status == 200
    assert feedback_rows(store) == {(liked, 1, "reaction"), (disliked, -1, "reaction")}
    with store.session() as s:
        assert {f.channel_id for f in s.scalars(select(Feedback))} == {channel_id}
        assert s.scalar(select(Member.user_ref).join(Feedback, Feedback.member_id == Member.id).limit(1)) == "U2"

    # the 👎 is taken back; removing a reaction that no longer holds does nothing
    app.dispatch(bolt_request(reaction_event("reaction_removed", "-1", refs[disliked], user="U2")))
    app.dispatch(bolt_request(reaction_event("reaction_removed", "-1", refs[liked], user="U2")))
    assert feedback_rows(store) == {(liked, 1, "reaction")}

    # picks reflect the feedback at once
    _, after = run(app, fake, "picks", user="U2", user_name="bob")
    picks_after = paper_ids(after["blocks"])
    assert picks_after != picks_before and liked not in picks_after
    assert "similar to 👍" in json.dumps(after["blocks"], ensure_ascii=False)

    # the buttons: the other one changes the opinion, for the channel's delivery
    message = {"ts": header_ts, "blocks": blocks}
    value = f"{delivery_id}:{liked}"
    app.dispatch(bolt_request(block_action(ACTION_DOWN, value, user="U2", message=message, response_url=fake.response_url("b1"))))
    assert feedback_rows(store) == {(liked, -1, "button")}
    confirm = fake.of("response_url")[-1].params
    assert confirm["response_type"] == "ephemeral" and confirm["replace_original"] is False and "👎 noted for" in confirm["text"]
    app.dispatch(bolt_request(block_action(ACTION_UP, value, user="U2", message=message, response_url=fake.response_url())))
    assert feedback_rows(store) == {(liked, 1, "button")}
    # a button value naming a paper that is not in that delivery records nothing
    with store.session() as s:
        elsewhere = s.scalar(select(Paper.id).where(Paper.id.not_in(list(refs))).limit(1))
    app.dispatch(bolt_request(block_action(ACTION_UP, f"{delivery_id}:{elsewhere}", user="U3", message=message, response_url=fake.response_url())))
    assert "no longer available" in fake.of("response_url")[-1].params["text"]
    assert len(feedback_rows(store)) == 1


def test_reactions_on_messages_the_bot_did_not_post_are_ignored(slack, fake):
    commands, app = slack
    for reaction in ("+1", "thumbsdown"):
        resp = app.dispatch(bolt_request(reaction_event("reaction_added", reaction, "C1:1699999999.000100", user="U5")))
        assert resp.status == 200
    # other emoji on any message, and reactions on non-message items, are ignored too
    app.dispatch(bolt_request(reaction_event("reaction_added", "tada", "C1:1699999999.000100", user="U5")))
    with commands.store.session() as s:
        assert s.scalar(select(func.count(Feedback.id))) == 0
        assert s.scalar(select(func.count(Member.id))) == 0


@pytest.mark.parametrize("text, hint", [
    ("", "Usage"),
    ("frobnicate the papers", "unknown command"),
    ("like", "takes one paper"),
    ("subscribe 8pm", "not a time; use 24-hour HH:MM: 20:00"),
        ("subscribe 25:00 Europe/Berlin", "`25:00` is not a time: hours go from 00 to 23"),
        ("channel setup 99:99 Mars/Phobos", "`99:99` is not a time"),
    ("interests", "needs `add"),
    ("channel explode", "use `channel setup"),
    ("channel setup 09:00 Mars/Olympus_Mons", "not a timezone"),
    ("search", "needs a query"),
    ("like 9999.99999", "no stored paper"),
])
def test_malformed_commands_answer_privately_with_usage(slack, fake, text, hint):
    commands, app = slack
    resp, answer = run(app, fake, text)
    assert resp.status == 200 and resp.body == ""
    assert answer["response_type"] == "ephemeral"
    assert hint in answer["text"] and "Traceback" not in answer["text"]
    assert all(b["type"] in ("section", "actions", "context", "divider") for b in answer["blocks"])
    with commands.store.session() as s:
        assert s.scalar(select(func.count(Channel.id))) == 0


def test_an_answer_slack_refused_is_logged(slack, fake, caplog):
    """response_url answers with a status and does not raise: a refused answer was lost without a word."""
    _, app = slack
    fake.fail_next("response_url", status=500)
    resp, _ = run(app, fake, "interests list")
    assert resp.status == 200
    [lost] = [r for r in caplog.records if r.getMessage() == "slack answer not delivered"]
    assert lost.levelname == "WARNING" and lost.status == 500


def test_user_text_is_escaped_not_pinged(slack, fake):
    _, app = slack
    _, answer = run(app, fake, "search <!channel> & graph")
    shown = [answer["text"]] + [b["text"]["text"] for b in answer["blocks"] if "text" in b]
    assert not any("<!channel>" in t for t in shown)
    assert "&lt;!channel&gt; &amp; graph" in answer["blocks"][0]["text"]["text"]


def test_slash_text_arrives_html_escaped_and_is_read_as_typed(slack, fake):
    """Slack sends a typed ``&``, ``<``, ``>`` as ``&amp;``, ``&lt;``, ``&gt;``; a raw ``<…>`` is its own markup."""
    commands, app = slack
    _, answer = run(app, fake, "interests add Q&amp;A systems; R&amp;D &lt;robotics&gt;")
    with commands.store.session() as s:
        assert s.scalar(select(Member.interests)) == ["Q&A systems", "R&D <robotics>"]
    assert "“Q&amp;A systems”, “R&amp;D &lt;robotics&gt;”" in answer["blocks"][0]["text"]["text"]  # escaped once
    _, answer = run(app, fake, "interests add Q&amp;A systems")
    assert "was already one of them" in answer["text"]
    _, answer = run(app, fake, "interests remove R&amp;D &lt;robotics&gt;")
    assert answer["text"].startswith("Removed interest")

    _, answer = run(app, fake, "search R&amp;D")
    assert "“R&amp;D”" in answer["blocks"][0]["text"]["text"] and "&amp;amp;" not in json.dumps(answer)
    # mentions stay Slack's tokens (shown, not pinged); a link with its label is read as the link
    _, answer = run(app, fake, "search <@U2|bob> &amp; <#C9|general> graph")
    assert "for “&lt;@U2|bob&gt; &amp; &lt;#C9|general&gt; graph”" in answer["blocks"][0]["text"]["text"]
    arxiv_id = "2401.01234"
    with commands.store.session() as s:  # the bundled samples are title-only: give one paper its arXiv id
        s.scalars(select(Paper).limit(1)).one().arxiv_id = arxiv_id
    _, answer = run(app, fake, f"like <https://arxiv.org/abs/{arxiv_id}|arxiv.org/abs/{arxiv_id}>")
    assert answer["text"].startswith("👍 noted")


def test_channel_commands_in_a_dm_explain_themselves(slack, fake):
    commands, app = slack
    _, answer = run(app, fake, "channel setup", channel="D123", channel_name="directmessage")
    assert answer["response_type"] == "ephemeral" and "not in a direct message" in answer["text"]
    _, answer = run(app, fake, "subscribe 07:45 Asia/Tokyo", channel="D123", channel_name="directmessage")
    assert "07:45 Asia/Tokyo" in answer["text"]
    with commands.store.session() as s:
        member = s.scalar(select(Member))
        assert (member.subscribed, member.digest_time, member.timezone, member.display_name) == (True, "07:45", "Asia/Tokyo", "ada")


def test_share_button_posts_the_answer_for_everyone(slack, fake):
    _, app = slack
    _, answer = run(app, fake, "search graph neural networks")
    share = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == ACTION_SHARE]
    assert share and share[0]["value"] == f"ids:{','.join(map(str, paper_ids(answer['blocks'])))}:search graph neural networks"
    app.dispatch(bolt_request(block_action(ACTION_SHARE, share[0]["value"], response_url=fake.response_url("share"))))
    shared = fake.of("response_url")[-1].params
    assert shared["response_type"] == "in_channel" and shared["blocks"][0]["text"]["text"].startswith("<@U1> shared")
    assert paper_ids(shared["blocks"]) == paper_ids(answer["blocks"])
    # a forged share of a command that writes is refused
    before = len(fake.of("response_url"))
    app.dispatch(bolt_request(block_action(ACTION_SHARE, "channel off", response_url=fake.response_url())))
    assert len(fake.of("response_url")) == before



def test_a_shared_answer_slack_refused_is_logged(slack, fake, caplog):
    """The Share button's answer for the channel goes through response_url too: a refusal is logged as for any answer."""
    _, app = slack
    _, answer = run(app, fake, "search graph neural networks")
    share = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == ACTION_SHARE]
    fake.fail_next("response_url", status=404)  # the response_url expired (30 minutes, 5 uses)
    app.dispatch(bolt_request(block_action(ACTION_SHARE, share[0]["value"], response_url=fake.response_url("share"))))
    [lost] = [r for r in caplog.records if r.getMessage() == "slack answer not delivered"]
    assert lost.levelname == "WARNING" and lost.status == 404

@pytest.mark.parametrize("how", ["wrong secret", "stale timestamp", "tampered body", "unsigned"])
def test_bad_or_stale_signature_gets_401_and_changes_nothing(slack, fake, how):
    commands, app = slack
    body, ctype = slash_command("channel setup 08:00 UTC 3 robotics", response_url=fake.response_url())
    if how == "wrong secret":
        headers = signed_headers(body, ctype, secret="not-the-secret")
    elif how == "stale timestamp":
        headers = signed_headers(body, ctype, timestamp=int(NOW.timestamp()) - 3600)
    elif how == "tampered body":
        headers = signed_headers(body, ctype)
        body = body.replace("robotics", "cooking")
    else:
        headers = {"content-type": ctype}
    from slack_bolt import BoltRequest

    resp = app.dispatch(BoltRequest(body=body, headers=headers))
    assert resp.status == 401
    assert fake.of("response_url") == []
    event_body, event_type = reaction_event("reaction_added", "+1", "C1:1.2")
    assert app.dispatch(BoltRequest(body=event_body, headers=signed_headers(event_body, event_type, secret="x"))).status == 401
    with commands.store.session() as s:
        assert s.scalar(select(func.count(Channel.id))) == 0
        assert s.scalar(select(func.count(ChannelChange.id))) == 0
        assert s.scalar(select(func.count(Member.id))) == 0


def http_post(url, body, headers):
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_over_real_http(slack, fake, settings):
    commands, app = slack
    server = serve_http(app, "127.0.0.1", 0)
    try:
        endpoint = f"{server.url}/slack/events"
        body, ctype = slash_command("channel setup 10:00 UTC 3 reinforcement learning", response_url=fake.response_url())
        assert http_post(endpoint, body, signed_headers(body, ctype)) == (200, "")
        answer = fake.wait_for(lambda calls: [c for c in calls if c.method == "response_url"])[-1].params
        assert "Channel digest is on" in answer["text"]

        assert http_post(endpoint, body, signed_headers(body, ctype, secret="wrong"))[0] == 401
        assert http_post(f"{server.url}/elsewhere", body, signed_headers(body, ctype))[0] == 404
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as resp:
            assert resp.read() == b"ok"

        with commands.store.session() as s:
            target = DeliveryTarget.of(s.scalar(select(Channel)))
        deliver(commands.store, commands.recommender, settings, SlackPoster(app.client), target, now=NOW)
        with commands.store.session() as s:
            ref = s.scalars(select(DeliveryItem.message_ref)).first()
        event, etype = reaction_event("reaction_added", "thumbsup", ref, user="U7")
        assert http_post(endpoint, event, signed_headers(event, etype))[0] == 200
        with commands.store.session() as s:
            assert s.scalar(select(func.count(Feedback.id))) == 1
            assert s.scalar(select(ChannelChange.actor)) == "slack:U1 (ada)"
    finally:
        server.close()


def test_production_mode_acks_first_and_answers_through_response_url(papers_store, settings, fake):
    """Without process_before_response (how `paperbot run` serves), the HTTP answer is the
    immediate ack and the reply follows through response_url once the command has run."""
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings)
    app = build_app(commands, settings, secrets=Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET))
    server = serve_http(app, "127.0.0.1", 0)
    try:
        body, ctype = slash_command("interests add diffusion models", response_url=fake.response_url("prod"))
        assert http_post(f"{server.url}/slack/events", body, signed_headers(body, ctype)) == (200, "")
        answer = fake.wait_for(lambda calls: [c for c in calls if c.path == "/hooks/prod"])[0].params
        assert answer["response_type"] == "ephemeral" and "diffusion models" in answer["text"]
        with commands.store.session() as s:
            assert s.scalar(select(Member.interests)) == ["diffusion models"]
    finally:
        server.close()


def test_a_burst_of_100_concurrent_commands_is_all_acknowledged(papers_store, settings, fake):
    """As `paperbot run` serves: 100 signed commands at once all get their 200 and, later, their answer."""
    settings.slack.api_url = fake.api_url
    app = build_app(Commands(papers_store, settings), settings,
                    secrets=Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET))
    server = serve_http(app, "127.0.0.1", 0)
    assert server.port > 0  # port 0 bound a free port
    requests = [slash_command("help", user=f"U{n}", response_url=fake.response_url(f"burst{n}")) for n in range(100)]
    start = threading.Barrier(len(requests))

    def send(body_and_type):
        body, ctype = body_and_type
        start.wait()
        return http_post(f"{server.url}/slack/events", body, signed_headers(body, ctype))

    try:
        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            statuses = [status for status, _ in pool.map(send, requests)]
        assert statuses == [200] * 100
        answers = fake.wait_for(lambda calls: len([c for c in calls if c.path.startswith("/hooks/burst")]) == 100 or None,
                                timeout=60)
        assert answers
    finally:
        server.close()


def test_adapters_only_translate_no_database_access():
    """bot/slack and bot/discord import neither SQLAlchemy nor the store (install.py hands slack_sdk an engine)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "bot"
    offenders = []
    for path in sorted([*root.joinpath("slack").glob("*.py"), *root.joinpath("discord").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(("sqlalchemy", "recommender.store"))]
    assert offenders == ["install.py: sqlalchemy"]
