"""Sharing an answer in the channel: the very papers the asker was shown, for everyone.

An adapter's "share" control carries the ids of the papers it showed (Slack: in the
button's value); :func:`shared_papers` builds the message for the channel from those
papers, in their order, without running the command again (picks are never repeated
and a 👍 in between changes them, so a rerun could show the channel other papers).
The asker's own marks stay private: the shared papers carry no reason ("similar to
your 👍 …") and no "you 👎 this" or "you 👍 this" (:func:`bot.digest.rating_note`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.commands import rows
from bot.commands.reply import Reply

if TYPE_CHECKING:
    from bot.commands.handlers import Commands

#: At most this many papers are shared at once (an answer shows far fewer).
MAX_SHARED = 50

GONE = "Those papers are no longer stored: there is nothing to share."


def shared_papers(cmds: Commands, paper_ids: Sequence[int]) -> Reply:
    """A public :class:`Reply` with the stored papers of ``paper_ids`` in that order, none of the asker's marks.

    Ids of papers no longer stored are left out; ``ok`` is False when none is left
    (or none was given), and nothing is to be posted.
    """
    with cmds.store.session() as session:
        papers = rows.stored_picks(session, list(dict.fromkeys(paper_ids))[:MAX_SHARED])
    if not papers:
        return Reply(GONE, ok=False)
    return Reply("", papers, ephemeral=False)
