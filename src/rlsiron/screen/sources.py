"""Where the screener's tables come from, on which engine, under which column names.

A source is a Parquet or CSV file, or a table in PostgreSQL named by URL
(`postgresql://user@host/db?table=lab_results`). The engine runs the query: DuckDB (the
embedded default, spilling to disk beyond its memory limit), PostgreSQL (the tables are
read in place: a clinic's data never leaves its database) or Spark (local or a cluster).
Columns are found by their default names or by a mapping (`value=result`), and a missing
column or an unreachable database is an error before any work starts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlsplit, urlunsplit

import ibis
import ibis.expr.types as ir

from rlsiron.errors import RlsironError

Engine = Literal["duckdb", "postgres", "spark"]
ENGINES: Final = ("duckdb", "postgres", "spark")
_FILE_KINDS: Final = (".parquet", ".csv", ".tsv")

# Column -> (required, the type it is read as). Text columns are read as text so a value
# keeps its printed form ("12.50" has two decimals; "<5" is one-sided).
LAB_COLUMNS: Final[Mapping[str, bool]] = {
    "patient_id": True,
    "test": True,
    "value": True,
    "unit": True,
    "date": True,
    "assay": False,
}
PATIENT_COLUMNS: Final[Mapping[str, bool]] = {
    "patient_id": True,
    "sex": True,
    "age_years": False,
    "birth_date": False,
    "pregnancy_weeks": False,
    "postmenopausal": False,
    "kidney": False,
    "conditions": False,
    "medicines": False,
    "iron_route": False,
    "iron_started": False,
    "iron_ended": False,
}


_ARROW_TYPES: Final = {
    "string": "string",
    "float64": "float64",
    "int64": "int64",
    "boolean": "bool",
    "date": "date32",
}


def memtable(columns: Mapping[str, Sequence[object]], schema: Mapping[str, str]) -> ir.Table:
    """A small lookup table for the engine, built through Arrow (ibis builds a dict through
    pandas, which the screener does not otherwise need)."""
    import pyarrow as pa

    arrow_schema = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in schema.items()])
    return ibis.memtable(
        pa.table({name: list(columns[name]) for name in schema}, schema=arrow_schema)
    )


def trimmed(text: ir.StringValue) -> ir.StringValue:
    """Text without surrounding white space.

    Not ibis's `strip()`: on Spark it becomes `trim(x, ' \t\n\rvf')` with the escapes
    lost, and trims the letters v and f ("female" became "emale").
    """
    return text.re_replace(r"^\s+|\s+$", "")


@dataclass(frozen=True, slots=True)
class Source:
    """A file path, or a PostgreSQL URL with its table."""

    text: str
    path: Path | None
    url: str | None
    table: str | None

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else f"table {self.table}"


def parse_source(text: str, *, option: str) -> Source:
    """`--labs` / `--patients` as given: a file that exists, or postgresql://…?table=…"""
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        parts = urlsplit(text)
        tables = parse_qs(parts.query).get("table")
        if not tables:
            raise RlsironError(
                "a database source names its table",
                field=option,
                value=text,
                accepted=("postgresql://user@host/db?table=lab_results",),
            )
        url = urlunsplit((parts.scheme.split("+")[0], parts.netloc, parts.path, "", ""))
        return Source(text, None, url, tables[0])
    path = Path(text)
    if path.suffix.lower() not in _FILE_KINDS:
        raise RlsironError(
            "unknown kind of table",
            field=option,
            value=text,
            accepted=(*(f"a {kind} file" for kind in _FILE_KINDS), "postgresql://…?table=NAME"),
        )
    if not path.is_file():
        raise RlsironError("no such file", field=option, value=text)
    return Source(text, path, None, None)


def parse_mapping(
    pairs: Sequence[str], known: Mapping[str, bool], *, option: str
) -> dict[str, str]:
    """`ours=theirs` pairs: which of the source's columns holds each of ours."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        ours, theirs = ours.strip(), theirs.strip()
        if not sep or not theirs or ours not in known:
            raise RlsironError(
                "a column mapping is OURS=THEIRS with one of our column names",
                field=option,
                value=pair,
                accepted=tuple(known),
            )
        mapping[ours] = theirs
    return mapping


@dataclass
class Connection:
    """The engine's Ibis backend, and how it reads files."""

    engine: Engine
    backend: Any
    url: str | None = None

    def fetch(self, table: ir.Table) -> list[tuple[object, ...]]:
        """A small result (a lookup's distinct values) as Python tuples."""
        arrow = self.backend.to_pyarrow(table)
        return list(zip(*(column.to_pylist() for column in arrow.columns), strict=True))

    def batches(self, table: ir.Table, size: int) -> Any:
        """The result as a stream of Arrow record batches (a pyarrow RecordBatchReader).

        DuckDB 2 dropped the cursor method ibis 12's `to_pyarrow_batches` calls, so on
        DuckDB the relation ibis builds (memtables registered) is streamed directly.
        """
        if self.engine == "duckdb":
            return self.backend._to_duckdb_relation(table).to_arrow_reader(size)
        return self.backend.to_pyarrow_batches(table, chunk_size=size)

    def read(self, source: Source, name: str) -> ir.Table:
        """The source as an Ibis table on this engine, each row numbered `row_number_`."""
        if source.path is None:
            return self._database_table(source)
        return self._file(source.path, name)

    def _database_table(self, source: Source) -> ir.Table:
        if self.engine != "postgres" or source.url != self.url:
            raise RlsironError(
                "a database table is screened in its own database",
                field="--engine",
                value=self.engine,
                hint=f"use --engine postgres (and the same database for both tables): {source.text}",
            )
        assert source.table is not None
        try:
            table = self.backend.table(source.table)
        except Exception as error:
            raise RlsironError(
                f"cannot read table {source.table!r}: {error}", field="--labs", value=source.text
            ) from error
        return table.mutate(row_number_=ibis.row_number() + 1)

    def _file(self, path: Path, name: str) -> ir.Table:
        csv = path.suffix.lower() in (".csv", ".tsv")
        if self.engine == "duckdb":
            if csv:
                table = self.backend.read_csv(str(path), table_name=name, all_varchar=True)
            else:
                table = self.backend.read_parquet(str(path), table_name=name)
            return table.mutate(row_number_=ibis.row_number() + 1)
        if self.engine == "spark":
            return self._spark_file(path, name, csv=csv)
        # PostgreSQL: a file given beside a database table is copied into a temporary table.
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        arrow = (
            pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(strings_can_be_null=True, column_types=None),
            )
            if csv
            else pq.read_table(path)
        )
        table = self.backend.create_table(f"rlsiron_{name}", arrow, temp=True, overwrite=True)
        return table.mutate(row_number_=ibis.row_number() + 1)

    def _spark_file(self, path: Path, name: str, *, csv: bool) -> ir.Table:
        from pyspark.sql import functions

        session = self.backend._session
        reader = session.read
        frame = (
            reader.option("header", True)
            .option("sep", "\t" if path.suffix == ".tsv" else ",")
            .csv(str(path))
            if csv
            else reader.parquet(str(path))
        )
        frame = frame.withColumn("spark_order_", functions.monotonically_increasing_id())
        frame.createOrReplaceTempView(name)
        table = self.backend.table(name)
        numbered = table.mutate(row_number_=ibis.row_number().over(order_by=table.spark_order_) + 1)
        return numbered.drop("spark_order_")


def connect(
    engine: str, sources: Sequence[Source], *, memory_limit: str | None = None
) -> Connection:
    """The backend for `engine`, reachable before any work starts."""
    if engine not in ENGINES:
        raise RlsironError("unknown engine", field="--engine", value=engine, accepted=ENGINES)
    if engine == "duckdb":
        backend = ibis.duckdb.connect()
        # ibis 12 writes DuckDB lambdas with the arrow syntax that DuckDB 2 deprecated.
        backend.raw_sql("SET lambda_syntax='ENABLE_SINGLE_ARROW'")
        backend.raw_sql(f"SET temp_directory='{tempfile.gettempdir()}/rlsiron-duckdb-spill'")
        backend.raw_sql("SET preserve_insertion_order=true")
        if memory_limit:
            backend.raw_sql(f"SET memory_limit='{memory_limit}'")
        return Connection("duckdb", backend)
    if engine == "spark":
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master("local[*]")
            .appName("rlsiron-screen")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            # ibis compiles for SQL that yields NULL on a failed cast, as DuckDB and
            # PostgreSQL do with try_cast; Spark 4 raises instead unless ANSI mode is off.
            .config("spark.sql.ansi.enabled", "false")
            .getOrCreate()
        )
        return Connection("spark", ibis.pyspark.connect(session))
    urls = {source.url for source in sources if source.url is not None}
    if len(urls) != 1:
        raise RlsironError(
            "--engine postgres screens tables in one database",
            field="--labs",
            value=", ".join(sorted(urls)) or "(files only)",
            hint="give --labs (and --patients) as postgresql://user@host/db?table=NAME",
        )
    url = urls.pop()
    try:
        backend = ibis.connect(url)
    except Exception as error:
        raise RlsironError(
            f"cannot reach the database: {error}", field="--labs", value=url
        ) from error
    return Connection("postgres", backend, url)


def column_problems(
    table: ir.Table, wanted: Mapping[str, bool], mapping: Mapping[str, str], *, option: str
) -> None:
    """Every required column missing (after mapping), said at once, before any work."""
    present = set(table.columns)
    missing = [
        f"{ours}" + (f" (mapped to {mapping[ours]})" if ours in mapping else "")
        for ours, required in wanted.items()
        if required and mapping.get(ours, ours) not in present
    ]
    if missing:
        raise RlsironError(
            f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
            field=option,
            value=", ".join(sorted(present - {"row_number_"})),
            accepted=tuple(ours for ours, required in wanted.items() if required),
            hint="map a column with OURS=THEIRS, e.g. --lab-column value=result",
        )
