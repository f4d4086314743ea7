"""Entry point for `python -m orchestrator` and the `orchestrator` console script."""

from __future__ import annotations


def main() -> None:
    from orchestrator.cli import app

    app()


if __name__ == "__main__":
    main()
