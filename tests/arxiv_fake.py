"""A local stand-in for the arXiv API (``/api/query``) answering title searches with Atom.

Answers have the shape of the current API (``shared/formats/arxiv/api_2026-04-12_*.xml``):
namespaces on ``<feed>``, opensearch counts, one ``<entry>`` per paper with https
links, authors and an optional ``<arxiv:doi>``.  A ``ti:"phrase"`` search returns the
known papers whose normalized title contains the phrase, like arXiv's phrase search.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from recommender.sources.records import title_key

HEAD = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/fakeQueryId</id>
  <title>arXiv Query: search_query={query}&amp;id_list=&amp;start=0&amp;max_results=5</title>
  <updated>2026-04-12T22:09:27Z</updated>
  <link href="https://arxiv.org/api/query?search_query={query}&amp;start=0&amp;max_results=5&amp;id_list=" type="application/atom+xml"/>
  <opensearch:itemsPerPage>5</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
"""

ENTRY = """  <entry>
    <id>http://arxiv.org/abs/{id}v2</id>
    <title>{title}</title>
    <updated>{published}T15:05:19Z</updated>
    <link href="https://arxiv.org/abs/{id}v2" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{id}v2" rel="related" type="application/pdf" title="pdf"/>
    <summary>{abstract}</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <published>{published}T15:05:19Z</published>
    <arxiv:primary_category term="cs.LG"/>
{authors}{doi}  </entry>
"""

ERROR = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query=&amp;id_list=1234.12345" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=&amp;id_list=1234.12345</title>
  <id>http://arxiv.org/api/kvuntZ8c9a4Eq5CF7KY03nMug+Q</id>
  <updated>2026-04-12T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/api/errors#malformed_query</id>
    <title>Error</title>
    <summary>malformed query: unbalanced quotes</summary>
    <updated>2026-04-12T00:00:00-04:00</updated>
    <link href="http://arxiv.org/api/errors#malformed_query" rel="alternate" type="text/html"/>
    <author><name>arXiv api core</name></author>
  </entry>
</feed>
"""


@dataclass
class Known:
    """A paper the fake knows."""

    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing")
    published: str = "2024-02-24"
    doi: str | None = None


def feed(query: str, papers: list[Known]) -> str:
    """An Atom answer listing ``papers`` for ``query``."""
    entries = "".join(ENTRY.format(
        id=p.arxiv_id, title=escape(p.title), abstract=escape(p.abstract), published=p.published,
        authors="".join(f"    <author>\n      <name>{escape(a)}</name>\n    </author>\n" for a in p.authors),
        doi=f"    <arxiv:doi>{p.doi}</arxiv:doi>\n" if p.doi else "") for p in papers)
    return HEAD.format(query=escape(query), total=len(papers)) + entries + "</feed>\n"


@dataclass
class FakeArxiv:
    """The fake server: ``url`` to query, ``papers`` it knows, ``requests`` it received.

    ``mode`` switches the answer: ``"search"`` (default), ``"error400"`` (HTTP 400
    with the API's error entry), ``"error200"`` (the error entry with status 200),
    ``"hang"`` (never answers until :meth:`stop`).
    """

    papers: list[Known] = field(default_factory=list)
    mode: str = "search"
    requests: list[dict] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                fake.requests.append(params)
                fake.user_agents.append(self.headers.get("User-Agent", ""))
                if fake.mode == "hang":
                    fake.release.wait(30)
                    return
                status, body = fake.answer(params.get("search_query", ""))
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/query"

    def answer(self, query: str) -> tuple[int, str]:
        if self.mode == "error400":
            return 400, ERROR
        if self.mode == "error200":
            return 200, ERROR
        m = re.fullmatch(r'ti:"(?P<phrase>[^"]*)"', query)
        phrase = title_key(m.group("phrase")) if m else None
        keys = [(f" {title_key(p.title)} ", p) for p in self.papers] if phrase else []
        hits = [p for key, p in keys if f" {phrase} " in key]
        return 200, feed(query, hits[:5])

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
