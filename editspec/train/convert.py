"""Convert a torch weights file of an older editspec (``.pt``) into the ``.npz`` it reads now.

Usage: ``python -m editspec.train.convert OLD.pt NEW.npz`` (needs torch: ``editspec[train]``).
The arrays are copied as they are (float32, torch's names), with the config and the
training facts; ``editspec analyze`` then runs the network without torch.
"""

from __future__ import annotations

import sys

from editspec.errors import EXIT_OK, EditspecError
from editspec.model import weights


def convert(src: str, dst: str) -> None:
    """Read ``src`` (a torch checkpoint or an ``.npz``) and write it to ``dst`` as ``.npz``.

    Raises
    ------
    ModelError
        When ``src`` is not a beat-network weights file.
    MissingExtraError
        When ``src`` is a torch checkpoint and torch is not installed.
    """
    cfg, arrays, meta = weights.read(src)
    weights.write(dst, cfg, arrays, meta)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``OLD NEW``; one-line errors, exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m editspec.train.convert OLD.pt NEW.npz", file=sys.stderr)
        return 2
    try:
        convert(args[0], args[1])
    except EditspecError as exc:
        print(exc.one_line(), file=sys.stderr)
        return exc.exit_code
    print(f"wrote {args[1]}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
