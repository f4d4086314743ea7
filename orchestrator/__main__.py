"""Entry point for `python -m orchestrator` and the `orchestrator` console script."""

from __future__ import annotations

import os


def main() -> None:
    # pydantic scans every installed distribution's entry points for plugins at first use
    # (~14 ms of start-up through importlib.metadata); we use none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from orchestrator.cli import app

    app()


if __name__ == "__main__":
    main()
