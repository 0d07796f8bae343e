"""``python -m bot.cli``: the same as the ``paperbot`` console script."""

from bot.cli.main import main

main()
