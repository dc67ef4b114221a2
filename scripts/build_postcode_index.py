"""Build the offline postcode index from the ONS Postcode Directory data package.

    python scripts/build_postcode_index.py                 # ./instance/postcode-index-...bin
    python scripts/build_postcode_index.py --out PATH      # somewhere else
    python scripts/build_postcode_index.py --force         # even when it is up to date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matcher.domain.geocoding.exc import IndexNotBuilt  # noqa: E402
from matcher.domain.geocoding.index import (  # noqa: E402
    DATA_PACKAGE,
    INDEX_FORMAT_VERSION,
    build_index,
    data_package_version,
    default_index_path,
    read_index_header,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="index file to write")
    parser.add_argument(
        "--instance-dir",
        type=Path,
        default=Path("instance"),
        help="folder for the default file name (default: ./instance)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)

    path = args.out or default_index_path(args.instance_dir)
    if path.exists() and not args.force:
        try:
            header = read_index_header(path)
        except IndexNotBuilt:
            header = {}
        if (
            header.get("format_version") == INDEX_FORMAT_VERSION
            and header.get("data_version") == data_package_version()
        ):
            print(f"{path} is up to date (data {header['data_version']}); --force rebuilds it")
            return 0
    print(f"Building the postcode index from {DATA_PACKAGE} {data_package_version()} into {path}")
    build_index(path, progress=print)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
