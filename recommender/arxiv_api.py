"""Title searches against the arXiv API (``export.arxiv.org/api/query``), politely.

arXiv's terms of use for the API (https://info.arxiv.org/help/api/tou.html)
ask for no more than one request every three seconds and a single connection
at a time; :class:`ArxivClient` waits between requests (the interval is a
parameter so tests use 0), sends a descriptive User-Agent, and goes through the
project's HTTP client (:func:`recommender.fetch.fetch_bytes`: httpx timeouts,
tenacity retries), with retries spaced at least one interval apart.  Answers
are Atom documents, parsed by our own :mod:`recommender.sources.arxiv_atom`.
Query syntax (``ti:"..."`` field prefixes, phrases in double quotes) is from
the API user manual, https://info.arxiv.org/help/api/user-manual.html.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from recommender.fetch import RetryPolicy, fetch_bytes
from recommender.sources import arxiv_atom
from recommender.sources.records import PaperRecord, title_key

__all__ = ["API_URL", "MIN_INTERVAL", "USER_AGENT", "ArxivClient", "title_query"]

API_URL = "https://export.arxiv.org/api/query"
#: Seconds between two requests (arXiv asks for at least 3).
MIN_INTERVAL = 3.0
USER_AGENT = ("paperbot/0.1 (paper recommendations for research teams; looks up the arXiv record of papers "
              "known by title only, one request every 3 s; +https://github.com/paperbot)")


def title_query(title: str) -> str:
    """The ``search_query`` for a title: its normalized words as one title phrase, ``ti:"w1 w2 ..."``."""
    return f'ti:"{title_key(title)}"'


class ArxivClient:
    """A rate-limited arXiv API client for title searches.

    Parameters
    ----------
    base_url : str
        The query endpoint (a local fake in tests).
    min_interval : float
        Seconds between the end of one request and the start of the next, and
        the first retry delay (doubling, at most 60 s); 0 disables waiting.
    timeout : float
        Seconds for connecting and for reading the answer.
    attempts : int
        Tries per search (connection errors, timeouts, HTTP 429 and 5xx are retried).
    max_results : int
        Entries asked for per search.
    user_agent : str
        Sent with every request.
    clock, sleep : callable
        Monotonic clock and sleep function (seconds).
    """

    def __init__(self, *, base_url: str = API_URL, min_interval: float = MIN_INTERVAL, timeout: float = 20.0,
                 attempts: int = 3, max_results: int = 5, user_agent: str = USER_AGENT,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url
        self.min_interval = min_interval
        self.max_results = max_results
        self.requests = 0
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), headers={"User-Agent": user_agent},
                                  follow_redirects=True)
        # retries are spaced at least one interval apart, as arXiv's terms ask
        self._retry = RetryPolicy(attempts=attempts, first_wait=min_interval, max_wait=max(60.0, min_interval))

    def __enter__(self) -> ArxivClient:  # noqa: PYI034 - Python 3.10 has no typing.Self
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _wait_turn(self) -> None:
        if self._last is not None and self.min_interval > 0:
            pause = self.min_interval - (self._clock() - self._last)
            if pause > 0:
                self._sleep(pause)

    def search_title(self, title: str) -> list[PaperRecord]:
        """Ask the API for papers whose title contains ``title``'s words as a phrase.

        Returns
        -------
        list of PaperRecord
            The answer's entries (arXiv id, title, abstract, authors, dates,
            abs URL, DOI), best match first; empty when nothing matched.

        Raises
        ------
        httpx.HTTPError
            Timeouts, connection errors and error statuses, after the retries.
        recommender.sources.ParseError
            An answer that is not a valid API response, or the API's own error
            entry (its message is passed on).
        """
        self._wait_turn()
        params = {"search_query": title_query(title), "start": 0, "max_results": self.max_results}
        try:
            self.requests += 1
            body = fetch_bytes(self.base_url, params=params, client=self._http, retry=self._retry)
        finally:
            self._last = self._clock()
        return arxiv_atom.parse(body, source=f"arXiv API answer for {str(params['search_query'])[:80]}").papers
