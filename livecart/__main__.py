"""`python -m livecart`: the same command line as the `livecart` script (livecart/cli.py)."""

from livecart.cli import main

raise SystemExit(main())
