"""Shared helpers for the digest parser tests: where the real samples live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    """``$PAPERBOT_SHARED_DIR`` or ``../shared`` next to the repository."""
    env = os.environ.get("PAPERBOT_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def sample(*parts: str) -> Path:
    """Path of a shared sample; skips the test when the shared folder or file is absent."""
    path = shared_dir().joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"shared sample {path} not available (set PAPERBOT_SHARED_DIR)")
    return path


def sample_bytes(*parts: str) -> bytes:
    return sample(*parts).read_bytes()


DIGESTS = ("000_c6f8620f3de3774f.txt", "001_22f0a1ce284fcda3.txt", "002_060d071d17833c35.txt")

# A realistic abstract: parsers tell abstracts from titles by length.
ABSTRACT = (
    "We study how large language models acquire arithmetic skills during pretraining. "
    "Using a suite of controlled experiments on synthetic corpora, we show that models first "
    "memorize frequent operand pairs and only later generalize to unseen numbers. We release "
    "our code and data to support further research."
)


def abstract(n: int) -> str:
    """A distinct realistic abstract per ``n``."""
    return f"Paper {n}. " + ABSTRACT


# --- Daily Papers page fixtures ---------------------------------------------------------

HEADER = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\nDec 30\n\n"


def page(*cards: str, header: str = HEADER) -> str:
    return header + "\n\n".join(card.strip("\n") for card in cards) + "\n"


def card(title: str, n: int, meta: str = "  • 4 authors\n·\nJul 30, 2023") -> str:
    return f"{title}\n\n{abstract(n)}\n\n{meta}" if meta else f"{title}\n\n{abstract(n)}"


# --- rss.arxiv.org feeds built per arxiv-docs_rss_specifications.md ----------------------

RSS_ABSTRACT = ("We consider first order local minimization problems of the form $\\min \\int f(u,\\nabla u)$ "
                "under a mass constraint $a &lt; b$.")

RSS = f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>math.OC updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/math.OC</link>
    <description>math.OC updates on the arXiv.org e-print archive.</description>
    <atom:link href="http://rss.arxiv.org/rss/math.OC" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>Fri, 23 Feb 2024 05:00:11 +0000</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>Fri, 23 Feb 2024 00:00:00 -0500</pubDate>
    <skipDays><day>Saturday</day><day>Sunday</day></skipDays>
    <item>
      <title>Mass concentration in rescaled first order integral functionals</title>
      <link>https://arxiv.org/abs/2203.01250</link>
      <description>arXiv:2203.01250v3 Announce Type: replace-cross
Abstract: {RSS_ABSTRACT}</description>
      <guid isPermaLink="false">oai:arXiv.org:2203.01250v3</guid>
      <category>math.AP</category>
      <category>math.OC</category>
      <pubDate>Fri, 23 Feb 2024 00:00:00 -0500</pubDate>
      <arxiv:announce_type>replace-cross</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <arxiv:journal_reference>Journal de l'\\'Ecole polytechnique, Tome 11 (2024)</arxiv:journal_reference>
      <arxiv:DOI>10.5802/jep.257</arxiv:DOI>
      <dc:creator>Antonin Monteil, Paul Pegon</dc:creator>
    </item>
    <item>
      <title>A New Method for Convex Optimization &amp; Friends</title>
      <link>https://arxiv.org/abs/2402.14001</link>
      <description>arXiv:2402.14001v1 Announce Type: new
Abstract: We propose a method.</description>
      <guid isPermaLink="false">oai:arXiv.org:2402.14001v1</guid>
      <category>math.OC</category>
      <pubDate>Fri, 23 Feb 2024 00:00:00 -0500</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</dc:rights>
      <dc:creator>Jos\u00c3\u00a9 Ra\u00c3\u00bal Romero</dc:creator>
    </item>
  </channel>
</rss>
"""

ATOM = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/math.OC</id>
  <title>math.OC updates on arXiv.org</title>
  <updated>2024-02-23T16:08:30.941605+00:00</updated>
  <link href="http://rss.arxiv.org/atom/math.OC" rel="self" type="application/atom+xml"/>
  <subtitle>math.OC updates on the arXiv.org e-print archive.</subtitle>
  <entry>
    <id>oai:arXiv.org:2402.14002v1</id>
    <title>Cross-listed Paper</title>
    <updated>2024-02-23T16:08:30.942190+00:00</updated>
    <link href="https://arxiv.org/abs/2402.14002" rel="alternate" type="text/html"/>
    <summary>arXiv:2402.14002v1 Announce Type: cross
Abstract: A cross-listed abstract.</summary>
    <category term="math.OC"/>
    <published>2024-02-23T00:00:00-05:00</published>
    <arxiv:announce_type>cross</arxiv:announce_type>
    <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
    <dc:creator>Ada Lovelace, Alan Turing</dc:creator>
  </entry>
</feed>
"""
