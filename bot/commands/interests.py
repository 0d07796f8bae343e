"""``/papers interests``: the topics a person declares, which seed their profile before any 👍.

Called through :class:`~bot.commands.handlers.Commands` (``interests_list``, ``interests_add``,
``interests_remove``); each change is one transaction, and a usage error changes nothing.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from bot.commands import rows
from bot.commands.caller import Caller
from bot.commands.parse import UsageError, interest_key, interest_text, new_interests, split_interests
from bot.commands.reply import MAX_INTEREST_CHARS, MAX_INTERESTS, Reply

if TYPE_CHECKING:
    from bot.commands.handlers import Commands


def listed(cmds: Commands, caller: Caller) -> Reply:
    """The caller's interests, one per line, or how to add one."""
    with cmds.store.session() as session:
        member = rows.find_member(session, caller)
        interests = list(member.interests or []) if member is not None else []
    if not interests:
        return Reply(f"You have no interests yet. Add one: {caller.command('interests add', 'graph neural networks')}")
    return Reply("Your interests:\n" + "\n".join(f"• {i}" for i in interests))


def add(cmds: Commands, caller: Caller, text: str, *more: str) -> Reply:
    """Add interests (at most :data:`MAX_INTERESTS`, each :data:`MAX_INTEREST_CHARS` characters), all or none.

    Each text may hold several, separated by ``;`` (else by ``,``), as ``paperbot users add --interests``
    reads them (:func:`~bot.commands.parse.split_interests`).

    Raises
    ------
    UsageError
        A text holds no letter or digit (:func:`~bot.commands.parse.interest_text`), is too long,
        or the caller would have more interests than there can be. Nothing changes.
    """
    texts = [t for piece in (text, *more) for t in split_interests(piece)]  # "a; b" is two, as the CLI's
    if not texts:
        raise UsageError("`interests add` needs some words (punctuation alone is not an interest)")
    longest = max(texts, key=len)
    if len(longest) > MAX_INTEREST_CHARS:
        raise UsageError(f"an interest is at most {MAX_INTEREST_CHARS} characters ({len(longest)} given)")
    with cmds.store.session(immediate=True) as session:  # two adds at once: the second waits, then adds to the first's
        member = cmds.member(session, caller, lock=True)
        current = list(member.interests or [])
        added = new_interests(current, texts)
        if len(current) + len(added) > MAX_INTERESTS:
            raise UsageError(f"at most {MAX_INTERESTS} interests: remove one first ({len(current) + len(added)} asked)")
        member.interests = current + added
    had = "".join(f" “{t}” was already one of them." for t in dict.fromkeys(texts) if t not in added)
    if not added:
        return Reply(f"Nothing changed:{had}")
    return Reply(f"Added interest{'s'[:len(added) - 1]} “{'”, “'.join(added)}”. "
                 f"Your next picks use {'them' if len(added) > 1 else 'it'}.{had}"
                 + "".join(f" “{i}”: no stored paper spells it so; did you mean “{r}”? "
                           f"({caller.command('interests remove', i)}, then add that.)"
                           for i, r in cmds.respellings(added).items()))


def remove(cmds: Commands, caller: Caller, text: str) -> Reply:
    """Remove the interest ``text``, or the several it holds as ``interests add`` reads them ("a; b"), all or none.

    Interests are compared by :func:`~bot.commands.parse.interest_key` (any case, quotes and invisible
    characters apart). ``text`` is first taken whole, so an interest stored with a comma in it
    ("transformers, diffusion models", added beside a ``;``) goes too.

    Returns
    -------
    Reply
        ``ok`` is False, and nothing changes, when one of the texts is not among the caller's interests;
        the reply names it and points to the list (``/papers interests list``, or ``paperbot users list``).
    """
    whole = interest_text(text) or " ".join(text.split())
    with cmds.store.session(immediate=True) as session:
        member = rows.find_member(session, caller, lock=True)  # nobody is created to remove nothing
        current = list(member.interests or []) if member is not None else []
        held = {interest_key(i) for i in current}
        texts = [whole] if interest_key(whole) in held else list(dict.fromkeys(split_interests(text))) or [whole]
        missing = [t for t in texts if interest_key(t) not in held]
        if len(missing) == len(texts):
            missing = [whole]  # none of it: name what was typed, as typed
        if missing:
            keyed = {interest_key(i): i for i in current}  # a typo's interest (a trial's "neural colapse")
            near = [keyed[k[0]] for t in missing if (k := difflib.get_close_matches(interest_key(t), keyed, 1, 0.8))]
            meant = f" Did you mean “{'”, “'.join(dict.fromkeys(near))}”?" if near else ""
            return Reply(f"“{'”, “'.join(missing)}” {'is' if len(missing) == 1 else 'are'} not among your interests"
                         f"{'; nothing was removed' if len(texts) > len(missing) else ''}.{meant} "
                         f"{caller.command('interests list')} shows them.", ok=False)
        gone = {interest_key(t) for t in texts}
        member.interests = [i for i in current if interest_key(i) not in gone]
    return Reply(f"Removed interest{'s'[:len(texts) - 1]} “{'”, “'.join(texts)}”.")
