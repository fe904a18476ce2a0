"""`spyglass-label ROOT --source S --ticker T [--simulated]`: record the provenance of option
snapshots written before spyglass recorded it (the quotes are rewritten unchanged), so the store accepts them."""

from __future__ import annotations

import argparse

from spyglass.data.store import Provenance, label_partitions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="spyglass-label", description=__doc__)
    parser.add_argument("root", help="the snapshot store (paths.options_store)")
    parser.add_argument("--source", required=True, help="the data source that wrote them (data.source)")
    parser.add_argument("--ticker", required=True, help="their underlying (data.ticker)")
    parser.add_argument("--simulated", action="store_true", help="they were generated, not observed")
    args = parser.parse_args(argv)
    provenance = Provenance(args.source, args.ticker, args.simulated)
    print(f"labelled {label_partitions(args.root, provenance)} snapshot(s) in {args.root}: {provenance.describe()}")


if __name__ == "__main__":
    main()
