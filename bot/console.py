"""The console adapter: digests and replies printed to a terminal, no chat account needed.

:class:`ConsolePoster` prints a digest as it is posted; :class:`ConsoleRuntime`
is the adapter ``paperbot run`` starts when no chat platform is configured.
"""

from __future__ import annotations

import logging
import threading

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from bot.club import POLL, ballot_lines
from bot.commands import Reply, reply_text
from bot.delivery import DigestPost, Poster
from bot.delivery.club import ClubPost
from bot.digest import clip, mention_line, meta_line
from recommender.pick import Pick

log = logging.getLogger(__name__)

#: Held while one digest or club post is printed, header to last paper: the posting threads of
#: ``paperbot run`` print several digests at once, and each must read as one block on the terminal.
_PRINTING = threading.Lock()


#: Where a paper's lines under its title start: as far in as the title after ``1. ``.
INDENT = "   "


def print_wrapped(console: Console, text: Text, lead: str | Text = INDENT) -> None:
    """Print ``text`` after ``lead``, wrapped at ``console``'s width, every further line indented as wide as ``lead``.

    The width is Rich's: the terminal's (``COLUMNS`` when set), 80 columns when there is none. Rich's word wrap
    counts wide characters (CJK, emoji) as the cells they take; a word longer than a line is folded. Each line
    is printed whole (no trailing spaces), so a paper's title, meta line or reason never continues at column 0.
    """
    lead = Text(lead) if isinstance(lead, str) else lead
    indent = Text(" " * lead.cell_len)
    for i, line in enumerate(text.wrap(console, max(console.width - lead.cell_len, 20))):
        line.rstrip()
        console.print(Text.assemble(lead if i == 0 else indent, line), soft_wrap=True)


def render_item(console: Console, n: int, item: Pick, *, abstract_chars: int = 0) -> None:
    """Print paper ``n`` of a list: its title after ``n. ``, then its meta line, link, abstract (clipped to
    ``abstract_chars``; none when 0) and reason, each wrapped with its indent kept (:func:`print_wrapped`)."""
    print_wrapped(console, Text(item.title, style="bold"), Text(f"{n}. ", style="bold"))
    meta = " · ".join(x for x in (meta_line(item), item.ref) if x)
    if meta:
        print_wrapped(console, Text(meta, style="dim"))
    if item.url:
        console.print(f"{INDENT}{escape(item.url)}", soft_wrap=True)  # one piece to copy, however long
    if abstract_chars and item.abstract:
        print_wrapped(console, Text(clip(item.abstract, abstract_chars)))
    if item.reason:
        print_wrapped(console, Text.assemble(("why:", "green"), " ", item.reason))


class ConsolePoster:
    """A :class:`bot.delivery.Poster` that prints each digest as it is posted.

    A terminal cannot be asked what it already shows, so each part (the header,
    each paper) is rendered first, then recorded, then written and flushed in
    one write: a process killed between the record and the write (microseconds)
    leaves that part unprinted rather than printed twice, and a resumed digest
    prints only the parts not on record, under a dim "(continued)" line instead
    of a second header.

    A digest is printed as one block: the posting threads of ``paperbot run``
    print many digests at once, and each holds one lock (shared by every console
    poster of the process) from its header to its last paper, so another digest's
    lines never come between them. Each part is still recorded just before it is
    written, under the lock.
    """

    platform = "console"

    def __init__(self, console: Console | None = None, *, abstract_chars: int = 0):
        self.console = console or Console()
        self.abstract_chars = abstract_chars

    def post(self, post: DigestPost) -> None:
        """Print ``post``'s header (or a "(continued)" line) and its unposted papers, as one block."""
        with _PRINTING:
            self._post(post)

    def _post(self, post: DigestPost) -> None:
        target, digest = post.target, post.digest
        where = f"#{target.name}" if target.kind == "channel" else f"DM @{target.name}"
        # "Papers for #ml-reading-group, …" names its channel already; a DM's or an unnamed channel's title does not
        where = "" if f"{where}," in digest.title else f"  [dim]({escape(where)})[/dim]"
        ref = f"{target.kind}:{target.id}:{digest.day.isoformat()}"
        if post.header_ref is None:
            with self.console.capture() as header:
                self.console.rule(f"[bold]{escape(digest.title)}[/bold]{where}")
                if digest.intro:
                    self.console.print(escape(digest.intro))
            post.posted_header(ref)
            self._write(header.get())
        elif post.unposted():  # a resumed digest: say which one the remaining papers belong to
            with self.console.capture() as continued:
                self.console.rule(f"[dim]{escape(digest.title)} (continued)[/dim]{where}")
            self._write(continued.get())
        for n, item in post.unposted():
            with self.console.capture() as paper:
                render_item(self.console, n, item, abstract_chars=self.abstract_chars)
                named = mention_line(digest.mentions.get(item.paper_id, ()), lambda m: f"@{m.name}")
                if named:
                    print_wrapped(self.console, Text(named))
                if n == len(digest.papers):
                    self.console.print()
            post.posted_paper(item.paper_id, f"{ref}:{item.paper_id}")
            self._write(paper.get())

    def post_club(self, post: ClubPost) -> None:
        """Print a journal club poll (a numbered ballot: ``/papers club vote <n>`` votes) or its winner.

        One part, recorded before it is written, as a digest's header is, under the lock digests print under.
        """
        with _PRINTING:
            self._post_club(post)

    def _post_club(self, post: ClubPost) -> None:
        if post.header_ref is not None or post.ballot is None:
            return
        where = f"#{post.target.name}"
        with self.console.capture() as out:
            label = "vote" if post.stage == POLL else "winner"
            self.console.rule(f"[bold]{escape(post.digest.title)}: {label}[/bold]  [dim]({escape(where)})[/dim]")
            self.console.print(escape(post.digest.intro), soft_wrap=True)
            lines = ballot_lines(post.ballot)
            if post.stage == POLL:
                for n, option in enumerate(post.ballot.options, 1):
                    render_item(self.console, n, option.pick)
            else:
                self.console.print("Final count:")
                for line in lines:
                    print_wrapped(self.console, Text(line))
            self.console.print()
        post.posted_header(f"{post.target.kind}:{post.target.id}:{post.digest.day.isoformat()}")
        self._write(out.get())

    def _write(self, text: str) -> None:
        self.console.file.write(text)
        self.console.file.flush()


class ConsoleRuntime:
    """The adapter with no chat account (a :class:`bot.runtime.ChatRuntime`): prints digests of ``cli``/``console`` targets."""

    name = "console"

    def __init__(self, console: Console | None = None):
        self.poster = ConsolePoster(console)

    def posters(self) -> dict[str, Poster]:
        return {"cli": self.poster, "console": self.poster}

    async def start(self) -> None:
        log.info("console adapter started", extra={"platforms": "cli,console"})

    async def stop(self) -> None:
        return None


def print_reply(console: Console, reply: Reply) -> None:
    """Print a command reply (text and usage, then papers); the people it names by their names."""
    text = escape(reply_text(reply, heading=lambda words: words))
    console.print(text if reply.ok else f"[red]{text}[/red]")
    for n, item in enumerate(reply.papers, 1):
        render_item(console, n, item)
