"""Every table's rows, kept in memory (PostgreSQL's binary COPY) and put back: a book seeded once serves the
transactional tests of a module (a live server's tests empty the tables after each test), at the cost of a
copy instead of a new seed_demo run."""

from django.db import connection

SKIPPED = {"django_migrations"}


def _tables() -> list[str]:
    return sorted(set(connection.introspection.table_names()) - SKIPPED)


def save_tables() -> dict[str, bytes]:
    """The rows of every table (but the migration record), as binary COPY data."""
    saved = {}
    with connection.cursor() as cursor:
        for table in _tables():
            with cursor.copy(f'COPY "{table}" TO STDOUT (FORMAT binary)') as copy:
                saved[table] = b"".join(bytes(block) for block in copy)
    return saved


def restore_tables(saved: dict[str, bytes]) -> None:
    """Empty every saved table and write its saved rows back, with triggers and foreign-key checks off while
    the rows go in (they were consistent when saved), then move each id sequence past the largest id."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in saved) + " RESTART IDENTITY CASCADE")
        cursor.execute("SET session_replication_role = replica")
        try:
            for table, data in saved.items():
                with cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT binary)') as copy:
                    copy.write(data)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), 'id') FROM "
                       "information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id'")
        sequences = dict(cursor.fetchall())
        for table in saved:
            sequence = sequences.get(table)
            if sequence:
                cursor.execute(f'SELECT setval(%s, COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table}"',
                               [sequence])
