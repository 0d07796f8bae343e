"""The service of ``paperbot run``: process wiring, the scheduler, its jobs and ``paperbot status``.

* :mod:`bot.service.run`: start the chat adapters and the scheduler, stop on a signal;
* :mod:`bot.service.once`: ``--once``, the whole day now;
* :mod:`bot.service.context`: what the stored jobs run with; closing it stops taking work;
* :mod:`bot.service.scheduler`: APScheduler, its job store and keeping the jobs in step with the database;
* :mod:`bot.service.triggers`: when a job runs (local times of day, DST, the day a digest belongs to);
* :mod:`bot.service.due`: which digests are due and not posted, decided by the database alone;
* :mod:`bot.service.workers`: the threads that post digests, woken by the scheduler's jobs;
* :mod:`bot.service.digest_jobs`: what posting one digest and the retries do;
* :mod:`bot.service.outage`: database outages (which errors to wait out, reporting them whole, backoff);
* :mod:`bot.service.ingest_jobs`: what an ``ingest:<source>`` job does;
* :mod:`bot.service.status`: what ``paperbot status`` reports.

The demo team a console-only bot starts with is :mod:`bot.demo` (shared with ``paperbot demo``); the
chat-adapter contract is :mod:`bot.runtime`, beside the adapters that implement it.
"""
