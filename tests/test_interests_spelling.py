"""An interest with a word no stored paper holds, close to one that many do, is answered with the respelling
(a trial: "model quantisation" got speech tokenizers and a gas chromatograph, PD-Quant only at #5)."""

from sqlalchemy import select

from bot.commands import Caller, Commands
from recommender.ingest import expand_inputs, ingest
from recommender.store import Member, Store

MIA = Caller("slack", "T1", "U1", display_name="mia")


def test_interests_add_offers_the_respelling_and_keeps_what_was_typed(papers_store, settings):
    cmds = Commands(papers_store, settings)
    reply = cmds.interests_add(MIA, "model quantisation; graph learning")
    assert reply.ok
    assert "“model quantisation”: no stored paper spells it so; did you mean “model quantization”?" in reply.text
    assert "`/papers interests remove model quantisation`" in reply.text
    assert "graph learning”:" not in reply.text  # every word of it is in the store
    with papers_store.session() as s:
        assert s.scalars(select(Member.interests)).one() == ["model quantisation", "graph learning"]
    assert "did you mean" not in cmds.interests_add(MIA, "xyzzyology").text  # nothing close: nothing to offer


def test_users_add_offers_the_respelling_too(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    added = cli("users", "add", "vic", "--interests", "model quantisation; graph learning")
    said = " ".join(added.stdout.split())
    assert added.exit_code == 0 and "• model quantisation" in said
    assert ("“model quantisation”: no stored paper spells it so; did you mean “model quantization”? "
            "(paperbot users remove-interest vic \"model quantisation\", then add that)") in said



def test_a_word_a_stored_paper_holds_is_never_respelled(cli, sample_digests, db_url):
    """A trial: "machine unlearning" got "did you mean “machine learning”?" though a stored title says
    "Unlearning": the TF-IDF model was fitted on the first day's digest, before any paper on unlearning came. A word
    the full-text index finds is no typo, whether or not the model has a feature for it."""
    first, second, _ = sorted(sample_digests.iterdir())
    assert cli("ingest", str(second)).exit_code == 0
    assert cli("users", "add", "kim", "--interests", "grokking").exit_code == 0
    assert cli("picks", "kim").exit_code == 0  # the model is fitted on this day's papers
    store = Store(db_url)
    try:  # unlearning arrives as `paperbot run`'s ingest job brings it, between two of its hourly refits
        assert ingest(store, expand_inputs([str(first)]))[0].new
    finally:
        store.dispose()
    added = " ".join(cli("users", "add", "tom", "--interests", "machine unlearning; model quantisation").stdout.split())
    assert "did you mean “machine learning”" not in added
    assert "did you mean “model quantization”?" in added  # a word no paper holds is still answered
