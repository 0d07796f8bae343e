"""The project's HTTP client for digests: httpx with timeouts, and one retry policy (tenacity).

Every ingestion fetch (``paperbot ingest <url>``, the scheduled ``hf_api`` and
``arxiv_rss`` sources) goes through :func:`fetch_bytes`. What is retried is
decided once, here: connection errors, HTTP 429 and 5xx, with exponential
backoff; callers only choose how many attempts and how long the waits are
(:class:`RetryPolicy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

__all__ = ["USER_AGENT", "TIMEOUT", "RetryPolicy", "DEFAULT_RETRY", "fetch_bytes", "is_retryable"]

USER_AGENT = "paperbot/0.1 (+https://github.com/paperbot)"
#: Seconds: 10 to connect, 20 for each read.
TIMEOUT = httpx.Timeout(20.0, connect=10.0)


def is_retryable(exc: BaseException) -> bool:
    """True for a connection or timeout error, or an HTTP 429 or 5xx answer."""
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code == 429 or exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently :func:`fetch_bytes` retries a retryable failure (:func:`is_retryable`).

    Attributes
    ----------
    attempts : int
        Tries in all, the first included (>= 1).
    first_wait : float
        Seconds before the second try; doubling after each failure (0: no wait).
    max_wait : float
        Longest wait between two tries, seconds.
    """

    attempts: int = 4
    first_wait: float = 0.5
    max_wait: float = 8.0

    def retrying(self) -> Retrying:
        """A fresh tenacity ``Retrying`` for one fetch; re-raises the last error."""
        return Retrying(
            retry=retry_if_exception(is_retryable), stop=stop_after_attempt(max(1, self.attempts)),
            wait=wait_exponential(multiplier=self.first_wait, max=self.max_wait), reraise=True,
        )


DEFAULT_RETRY = RetryPolicy()


def fetch_bytes(
    url: str, *, params: dict | None = None, client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY, timeout: httpx.Timeout = TIMEOUT,
) -> bytes:
    """GET ``url`` and return the body, retrying as ``retry`` says.

    Parameters
    ----------
    url : str
    params : dict, optional
        Query parameters.
    client : httpx.Client, optional
        Reuse this client (its own timeout applies); default: a client with
        ``timeout`` and the project's User-Agent, following redirects.
    retry : RetryPolicy
        Default: 4 attempts, waiting 0.5 s, doubling, at most 8 s.
    timeout : httpx.Timeout
        Default :data:`TIMEOUT` (10 s connect, 20 s read).

    Raises
    ------
    httpx.HTTPError
        When the last attempt fails or the server answers a non-retryable error.
    """
    for attempt in retry.retrying():
        with attempt:
            if client is not None:
                response = client.get(url, params=params)
            else:
                with httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True) as own:
                    response = own.get(url, params=params)
            response.raise_for_status()
            return response.content
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover
