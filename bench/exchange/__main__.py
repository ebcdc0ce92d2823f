"""``python -m bench.exchange``: see the package's docstring (``--help`` prints it)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from urllib.parse import urlsplit

from bench import exchange
from bench.exchange import full_copy, incremental
from bench.exchange.children import child_main
from bench.exchange.common import SOURCE_SCHEMA, SOURCE_TABLE, Databases, Report, log
from bench.exchange.population import MALE, build_provider


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.exchange",
        description=exchange.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the provider table")
    parser.add_argument("--pandas-rows", type=int, default=200_000, help="rows pandas moves (scaled to --rows)")
    parser.add_argument("--skip-dlt", action="store_true", help="do not run variant D")
    parser.add_argument(
        "--dlt-formats", nargs="+", default=["insert_values", "csv"], help="dlt loader file formats (default: both)"
    )
    parser.add_argument("--dlt-chunk", type=int, default=50_000, help="sql_table chunk_size for dlt")
    parser.add_argument("--incremental", action="store_true", help="also run the incremental/memory scenario")
    parser.add_argument("--incremental-rows", type=int, default=10_000_000)
    parser.add_argument("--only-incremental", action="store_true", help="run only the incremental/memory scenario")
    parser.add_argument("--warm-rows", type=int, default=None, help="rows of the warm-up table (default 10%%)")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="after the measured runs, run B once more under py-spy",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--db-prefix",
        default="gsbench",
        help="the databases are PREFIX_src and PREFIX_dst (default gsbench); another prefix keeps two runs on one "
        "server from dropping each other's databases",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


def main() -> None:
    parser = arguments()
    args = parser.parse_args()
    if args.child:
        child_main(args.child)
        return
    if not args.db_prefix.replace("_", "").isalnum():
        parser.error("--db-prefix: letters, digits and underscores only")
    args.warm_rows = args.warm_rows or max(1, args.rows // 10)
    db = Databases.on_server(args.db_prefix)
    log(f"databases {' and '.join(db.names)} on {urlsplit(db.base).hostname}:{urlsplit(db.base).port}")
    db.create()
    raw: dict = {}  # filled as the scenarios finish, so --json keeps what ran before a failure
    try:
        scenarios(args, db, Report(), raw)
    finally:
        if args.json:
            args.json.write_text(json.dumps(raw, default=str, indent=1))
        if args.keep:
            log(f"kept databases {' and '.join(db.names)}")
        else:
            db.drop()
            log("dropped the benchmark databases")


def scenarios(args, db: Databases, out: Report, raw: dict) -> None:
    main_results = None
    if not args.only_incremental:
        log(f"building {SOURCE_SCHEMA}.{SOURCE_TABLE} with {args.rows:,} rows")
        info = build_provider(db.src, args.rows, args.warm_rows)
        size = (
            f"pg_total_relation_size {info['total_bytes'] / 2**20:,.1f} MB (heap {info['heap_bytes'] / 2**20:,.1f} MB)"
        )
        log(f"generated in {info['seconds']:.1f}s: {size}, {info['males']:,} rows with gender = {MALE}")
        out(
            f"provider table {SOURCE_SCHEMA}.{SOURCE_TABLE}: {args.rows:,} rows, {size}; first row: {' | '.join(info['sample'])}"
        )
        main_results = raw["main"] = full_copy.run(args, db, out)
        if args.profile:
            full_copy.profile_b(db, args.profile)
    if args.incremental or args.only_incremental:
        raw["incremental"] = incremental.run(args, db, main_results, out)


if __name__ == "__main__":
    main()
