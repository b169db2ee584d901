"""``python -m chaos_pulumi.standins -H 127.0.0.1 -p PORT``: moto's server with the stand-ins installed."""

from __future__ import annotations

import sys

from chaos_pulumi.standins import install_all


def main(argv: list[str]) -> None:
    install_all()
    from moto.server import main as moto_server_main

    moto_server_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
