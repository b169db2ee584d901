"""`chaos-pulumi`: review experiment templates before anything is applied.

chaos-pulumi validate PATH... [--format text|json]   exit 0 valid, 1 errors, 2 usage
chaos-pulumi explain PATH                            Markdown for a pull request
chaos-pulumi iam-policy PATH [--trust-policy]        least-privilege policy for the role (or its trust)
chaos-pulumi catalog list | show | refresh           the FIS action catalog

PATH may be ``-`` for standard input. One module per command (or command group); ``main.COMMANDS``
lists them, so a new command is a new module plus one line there.
"""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
