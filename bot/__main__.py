"""`python -m bot` is the same as the `termiknowledge` command."""

from bot.cli import main

raise SystemExit(main())
