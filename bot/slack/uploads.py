"""A file a person uploads in their DM with paperbot (Slack ``file_shared``), fetched with the bot token.

Slack sends only the file id; ``files.info`` gives its name, size and private
download URL, which answers to the bot token (scope ``files:read``,
https://api.slack.com/types/file#authentication). The bytes go to the command
layer as they are.
"""

from __future__ import annotations

import httpx
from slack_sdk import WebClient

from bot.commands.library import MAX_LIBRARY_BYTES

#: Seconds to wait for the download to start sending.
DOWNLOAD_TIMEOUT = 30.0


class UploadError(Exception):
    """The upload cannot be fetched; the message is for the person who shared it."""


def fetch_upload(client: WebClient, file_id: str) -> tuple[str, bytes]:
    """The name and bytes of an uploaded file.

    Raises
    ------
    UploadError
        The file is larger than :data:`~bot.commands.library.MAX_LIBRARY_BYTES`, or the download failed.
    slack_sdk.errors.SlackApiError
        ``files.info`` refused (a deleted file, a missing ``files:read`` scope).
    """
    info = client.files_info(file=file_id)["file"]
    name = info.get("name") or file_id
    if (info.get("size") or 0) > MAX_LIBRARY_BYTES:
        raise UploadError(f"`{name}` is larger than {MAX_LIBRARY_BYTES // 1_000_000} MB; nothing imported.")
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        raise UploadError(f"Slack gives no download link for `{name}`; nothing imported.")
    try:
        response = httpx.get(url, headers={"Authorization": f"Bearer {client.token}"}, follow_redirects=True,
                             timeout=DOWNLOAD_TIMEOUT)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise UploadError(f"`{name}` could not be downloaded ({type(exc).__name__}); nothing imported.") from exc
    return name, response.content
