"""The service of ``paperbot run``: process wiring, the scheduler, its jobs and ``paperbot status``.

* :mod:`bot.service.run`: start the chat adapters and the scheduler, stop on a signal; ``--once``;
* :mod:`bot.service.scheduler`: APScheduler, its job store and keeping the jobs in step with the database;
* :mod:`bot.service.triggers`: when a job runs (local times of day, DST, the day a digest belongs to);
* :mod:`bot.service.ingest_jobs`: what an ``ingest:<source>`` job does;
* :mod:`bot.service.digest_jobs`: what a ``digest:<target>`` job and the retries do;
* :mod:`bot.service.status`: what ``paperbot status`` reports.

The demo team a console-only bot starts with is :mod:`bot.demo` (shared with ``paperbot demo``); the
chat-adapter contract is :mod:`bot.runtime`, beside the adapters that implement it.
"""
