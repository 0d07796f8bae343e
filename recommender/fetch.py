"""HTTP fetching for digests: httpx with timeouts, retries with exponential backoff (tenacity)."""

from __future__ import annotations

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

USER_AGENT = "paperbot/0.1 (+https://github.com/paperbot)"
TIMEOUT = httpx.Timeout(20.0, connect=10.0)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code == 429 or exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


@retry(retry=retry_if_exception(_retryable), stop=stop_after_attempt(4), wait=wait_exponential(multiplier=0.5, max=8), reraise=True)
def fetch_bytes(url: str, *, params: dict | None = None, client: httpx.Client | None = None) -> bytes:
    """GET ``url`` and return the body.

    Retries connection errors, HTTP 429 and 5xx up to 4 attempts with exponential
    backoff (0.5 s doubling, at most 8 s). Timeouts: 10 s connect, 20 s overall read.

    Raises
    ------
    httpx.HTTPError
        When the last attempt fails or the server answers a non-retryable error.
    """
    if client is None:
        with httpx.Client(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=True) as own:
            response = own.get(url, params=params)
    else:
        response = client.get(url, params=params)
    response.raise_for_status()
    return response.content
