"""Block Kit rendering of digests and command replies, within Slack's limits.

Limits (Slack's, enforced here): a header holds at most 150 characters of plain
text, a section at most 3000 characters, a message at most 50 blocks; a button
label at most 75 characters and its value at most 2000. Every message also
carries a plain ``text`` fallback (notifications, screen readers).

Rendering is pure: functions return ``(text, blocks)`` and never call Slack.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands import Reply, reply_text
from bot.digest import DigestMessage, Mention, clip, mention_line, meta_line
from recommender.pick import Pick

HEADER_MAX = 150
SECTION_MAX = 3000
CONTEXT_MAX = 2000
MAX_BLOCKS = 50
BUTTON_VALUE_MAX = 2000
FALLBACK_MAX = 3000

#: Characters of abstract shown per paper in the digest message (the thread reply shows more).
DIGEST_ABSTRACT_CHARS = 280
#: Characters of abstract in a per-paper thread reply.
PAPER_ABSTRACT_CHARS = 1500

ACTION_UP = "paperbot_vote_up"
ACTION_DOWN = "paperbot_vote_down"
ACTION_SHARE = "paperbot_share"
#: Onboarding buttons: 👍/👎 on a paper to rate (value: the paper id), and skip the rest.
ACTION_RATE_UP = "paperbot_rate_up"
ACTION_RATE_DOWN = "paperbot_rate_down"
ACTION_RATE_SKIP = "paperbot_rate_skip"


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack requires in mrkdwn and plain text.

    This also defuses user input such as ``<!channel>``: it is shown, never pinged.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vote_value(paper_id: int, delivery_id: int | None = None) -> str:
    """The value of a 👍/👎 button: ``"<delivery id or ->:<paper id>"``."""
    return f"{delivery_id if delivery_id is not None else '-'}:{paper_id}"


def parse_vote_value(value: str) -> tuple[int, int | None]:
    """``"12:34"`` → ``(34, 12)``; ``"-:34"`` → ``(34, None)``.

    Raises
    ------
    ValueError
        When ``value`` is not a vote value.
    """
    delivery, _, paper = value.partition(":")
    if not paper.isdigit() or not (delivery == "-" or delivery.isdigit()):
        raise ValueError(f"not a vote value: {value!r}")
    return int(paper), None if delivery == "-" else int(delivery)


#: How a "Share in channel" value starts when it carries the shown papers' ids (``ids:12,34:search gnn``).
SHARE_PREFIX = "ids:"


def share_value(command: str, papers: Sequence[Pick]) -> str:
    """The value of a "Share in channel" button: ``"ids:<id>,<id>…:<command>"``, at most 2000 characters.

    The ids are the papers shown, in order, so the channel gets exactly those; the command
    (clipped to fit) is only named in the shared message.
    """
    head = f"{SHARE_PREFIX}{','.join(str(p.paper_id) for p in papers)}:"
    return head + command[:max(BUTTON_VALUE_MAX - len(head), 0)]


def parse_share_value(value: str) -> tuple[list[int], str] | None:
    """``"ids:12,34:search gnn"`` → ``([12, 34], "search gnn")``; None for a value that does not start so.

    A button posted before the ids were carried holds the command alone (``"search gnn"``).

    Raises
    ------
    ValueError
        The value starts as an ids value but its ids are not numbers.
    """
    if not value.startswith(SHARE_PREFIX):
        return None
    ids, _, command = value[len(SHARE_PREFIX):].partition(":")
    if not ids or not all(i.isdigit() for i in ids.split(",")):
        raise ValueError(f"not a share value: {value[:80]!r}")
    return [int(i) for i in ids.split(",")], command


def _title_link(item: Pick) -> str:
    title = escape(" ".join(item.title.split()))
    if item.url:
        url = item.url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
        return f"<{url}|{title}>"
    return title


def paper_mrkdwn(item: Pick, n: int | None = None, *, abstract_chars: int = DIGEST_ABSTRACT_CHARS, reason: bool = False) -> str:
    """The mrkdwn of one paper's section: linked title, meta line (ending with the paper's reference),
    clipped abstract (and reason).

    The result is at most :data:`SECTION_MAX` characters; the abstract is cut at
    a word boundary, the title only when it alone would not fit.
    """
    number = f"{n}. " if n is not None else ""
    head = f"*{number}{_title_link(item)}*"
    if len(head) > SECTION_MAX // 2:  # absurd title: drop the link, clip the words
        head = f"*{number}{escape(clip(item.title, SECTION_MAX // 2 - 10))}*"
    lines = [head]
    # the paper's reference (arXiv id, else #id) closes the line: what `/papers like` and `who` take; a long
    # authors part is clipped before it, never the reference
    # (clipped before it is escaped: a cut never falls inside an entity such as &amp;; clipped again while its
    # escaped form is over 500, as escaping can lengthen it up to five times and the section has 3000)
    ref = escape(clip(item.ref, 100))
    meta = " · ".join(part for part in (_escaped_clip(meta_line(item), 500 - len(ref) - 3), ref) if part)
    if meta:
        lines.append(meta)
    tail = f"\n_Why: {escape(clip(item.reason, 500))}_" if reason and item.reason else ""
    text = "\n".join(lines)
    budget = SECTION_MAX - len(text) - len(tail) - 1
    if abstract_chars and item.abstract and budget > 40:
        text += "\n" + _escaped_clip(item.abstract, budget, min(abstract_chars, budget))
    return text + tail


def _escaped_clip(text: str, room: int, limit: int | None = None) -> str:
    """``text`` clipped (to ``limit`` characters, default ``room``) then escaped, and clipped again while its
    escaped form is longer than ``room``: escaping can lengthen it up to five times (``&`` is ``&amp;``), and
    a cut made after escaping could fall inside an entity."""
    limit = room if limit is None else limit
    out = escape(clip(text, limit))
    while len(out) > room:
        limit -= max(len(out) - room, 10)
        out = escape(clip(text, limit))
    return out


def _thumbs(block_id: str, up_action: str, down_action: str, value: str) -> dict:
    """An actions block of a 👍 and a 👎 button carrying ``value``."""
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [
            {"type": "button", "action_id": action, "text": {"type": "plain_text", "text": emoji, "emoji": True}, "value": value}
            for action, emoji in ((up_action, "👍"), (down_action, "👎"))
        ],
    }


def vote_buttons(item: Pick, delivery_id: int | None) -> dict:
    """An actions block with 👍 and 👎 for ``item``."""
    return _thumbs(f"vote-{item.paper_id}", ACTION_UP, ACTION_DOWN, vote_value(item.paper_id, delivery_id))


def rating_buttons(item: Pick, delivery_id: int | None = None) -> dict:
    """An actions block with onboarding 👍 and 👎 for ``item`` (value: the paper id)."""
    return _thumbs(f"rate-{item.paper_id}", ACTION_RATE_UP, ACTION_RATE_DOWN, str(item.paper_id))


SKIP_BLOCK = {
    "type": "actions",
    "block_id": "rate-skip",
    "elements": [{"type": "button", "action_id": ACTION_RATE_SKIP, "value": "skip",
                  "text": {"type": "plain_text", "text": "Skip the rest: my picks now", "emoji": True}}],
}


def _paper_blocks(item: Pick, n: int, delivery_id: int | None, *, compact: bool, buttons=vote_buttons) -> list[dict]:
    section = {
        "type": "section",
        "block_id": f"paper-{item.paper_id}",
        "text": {"type": "mrkdwn", "text": paper_mrkdwn(item, n, reason=compact)},
    }
    blocks = [section]
    if item.reason and not compact:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "Why: " + escape(clip(item.reason, CONTEXT_MAX - 10))}]})
    blocks.append(buttons(item, delivery_id))
    return blocks


def _fallback(title: str, items: list[Pick], intro: str = "") -> str:
    lines = [title] + ([intro] if intro else []) + [f"{n}. {' '.join(i.title.split())}" for n, i in enumerate(items, 1)]
    return _fallback_text(escape("\n".join(lines)))


def _fallback_text(mrkdwn: str) -> str:
    return clip(mrkdwn, FALLBACK_MAX, keep_lines=True)


def _fit_papers(lead: list[dict], items: list[Pick], delivery_id: int | None, more_note: str, *,
                buttons=vote_buttons, room: int = MAX_BLOCKS) -> list[dict]:
    """``lead`` plus the papers' blocks in the most detailed layout that fits in ``room`` (50) blocks."""
    for compact, dividers in ((False, True), (False, False), (True, False)):
        blocks = list(lead)
        for n, item in enumerate(items, 1):
            if dividers and n > 1:
                blocks.append({"type": "divider"})
            blocks += _paper_blocks(item, n, delivery_id, compact=compact, buttons=buttons)
        if len(blocks) <= room:
            return blocks
    # more papers than even the compact layout holds: show what fits, say where the rest is
    blocks = list(lead)
    room = (MAX_BLOCKS - len(lead) - 1) // 2
    for n, item in enumerate(items[:room], 1):
        blocks += _paper_blocks(item, n, delivery_id, compact=True)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more_note.format(n=len(items) - room)}]})
    return blocks


def digest_message(digest: DigestMessage, *, delivery_id: int | None = None) -> tuple[str, list[dict]]:
    """The channel or DM digest: a header, an optional intro, then each paper with 👍/👎 buttons.

    Parameters
    ----------
    digest : DigestMessage
        The composed digest.
    delivery_id : int, optional
        The delivery row id, carried in the buttons so feedback is tied to this digest.

    Returns
    -------
    tuple of (str, list of dict)
        The ``text`` fallback and the Block Kit blocks (at most 50).
    """
    lead: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": clip(digest.title, HEADER_MAX), "emoji": True}}]
    intro = digest.intro
    if digest.papers:
        hint = "React 👍 or 👎 to a paper in the thread, or use the buttons."
        intro = f"{intro}\n{hint}" if intro else hint
    if intro:
        lead.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(clip(intro, CONTEXT_MAX))}]})
    blocks = _fit_papers(lead, digest.papers, delivery_id, "…and {n} more in the thread.")
    return _fallback(digest.title, digest.papers, digest.intro), blocks


def slack_mention(mention: Mention) -> str:
    """``<@U123>``: a real mention (the person is notified)."""
    return f"<@{escape(mention.user_ref)}>"


def paper_message(item: Pick, n: int, mentions: Sequence[Mention] = ()) -> tuple[str, list[dict]]:
    """A per-paper thread reply under a digest: the message 👍/👎 reactions map to.

    ``mentions`` (the teammates the paper fits best, when the channel has
    mentions on) are named in a section of their own and in the fallback text.

    Returns
    -------
    tuple of (str, list of dict)
        The ``text`` fallback and the blocks.
    """
    blocks = [
        {"type": "section", "block_id": f"paper-{item.paper_id}",
         "text": {"type": "mrkdwn", "text": paper_mrkdwn(item, n, abstract_chars=PAPER_ABSTRACT_CHARS)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "React 👍 or 👎 on this message to rate this paper."}]},
    ]
    text = escape(clip(f"{n}. {item.title}", FALLBACK_MAX - 200))
    named = mention_line(mentions, slack_mention)
    if named:
        blocks.insert(1, {"type": "section", "block_id": f"mentions-{item.paper_id}", "text": {"type": "mrkdwn", "text": named}})
        text = f"{text}\n{named}"
    return text, blocks


def _text_sections(mrkdwn: str) -> list[dict]:
    """mrkdwn sections holding ``mrkdwn`` (already escaped), split at line ends to stay under 3000 characters each."""
    chunks: list[str] = []
    current = ""
    for line in mrkdwn.split("\n"):
        while len(line) > SECTION_MAX:
            chunks.append(line[:SECTION_MAX])
            line = line[SECTION_MAX:]
        if current and len(current) + 1 + len(line) > SECTION_MAX:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks[:10]]


def reply_mrkdwn(reply: Reply) -> str:
    """A reply's text (and usage, when asked) as escaped Slack mrkdwn; `` `code` `` spans are mrkdwn already, and
    the people it names are real mentions (``<@U123>``)."""
    return reply_text(reply, heading=lambda words: f"*{words}*", escape=escape, mention=slack_mention)


def reply_message(reply: Reply, *, share_command: str | None = None, shared_by: str | None = None) -> tuple[str, list[dict]]:
    """A ``/papers`` answer: its text, then its papers with 👍/👎 buttons.

    Parameters
    ----------
    reply : Reply
        What :class:`bot.commands.Commands` answered.
    share_command : str, optional
        For a private answer with papers: the command the answer is to (its text); a
        "Share in channel" button then posts these papers for everyone (:func:`share_value`).
    shared_by : str, optional
        The Slack user id who shared this answer: the text starts with their
        mention and the command (``share_command``) they ran.

    Returns
    -------
    tuple of (str, list of dict)
        The ``text`` fallback and the blocks (at most 50).
    """
    text = reply_mrkdwn(reply)
    if shared_by is not None:
        text = f"<@{shared_by}> shared `/papers {escape(share_command or '')}`:" + (f"\n{text}" if text else "")
    lead = _text_sections(text)
    if not reply.papers:
        return _fallback_text(text), lead
    if reply.rating:
        blocks = _fit_papers(lead, reply.papers, None, "…and {n} more.", buttons=rating_buttons, room=MAX_BLOCKS - 1)
        blocks.append(SKIP_BLOCK)
    else:
        blocks = _fit_papers(lead, reply.papers, None, "…and {n} more.")
    if share_command and shared_by is None and reply.ephemeral and len(blocks) < MAX_BLOCKS:
        blocks.append({
            "type": "actions",
            "block_id": "share",
            "elements": [{
                "type": "button", "action_id": ACTION_SHARE, "value": share_value(share_command, reply.papers),
                "text": {"type": "plain_text", "text": "Share in channel", "emoji": True},
            }],
        })
    lines = [text] + [f"{n}. {escape(' '.join(p.title.split()))}" for n, p in enumerate(reply.papers, 1)]
    return _fallback_text("\n".join(lines)), blocks
