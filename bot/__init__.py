"""paperbot's chat side: the platform-neutral command layer, digests, scheduling and adapters."""
