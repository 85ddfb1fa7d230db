"""The SQL that keeps accounts.UsageDay equal to the sum of the usage rows.

Migration accounts.0004 installed triggers built from these statements (a row-by-row insert path,
and a rebuild of whole days when rows change or go); accounts.0022 installed them again with the API
features' daily usage. Big imports switch the insert trigger off and call `rebuild_subscriptions` once
instead: aggregating millions of new rows in one parallel query is several times faster than feeding them
through the trigger. Changing anything here that the triggers use needs a migration that installs them
again (trigger_functions_sql), and a frozen copy of this module for the migrations that installed the
earlier version (as accounts/migrations/_usage_days_0004.py is for 0004).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from healthcs.bulk import indexes_set_aside

# A feature is an integration feature when one of these words stands on its own in its name, words
# being separated by spaces and _ - . / : ( ) , (a plain LIKE test, without regex).
HINTS = ("ehr", "integration", "sync", "api", "interface", "hl7", "fhir")
SEPARATORS = ("_", "-", ".", "/", ":", "(", ")", ",")
# An API feature: "api" stands in its name between characters other than letters and digits (or at an end).
API_PATTERN = "(^|[^a-z0-9])api([^a-z0-9]|$)"
DAY_COLUMNS = ("subscription_id, date, word, usage_count, error_count, features_used, integration_usage, "
               "integration_errors, api_usage")
INSERT_TRIGGER = "accounts_usage_inserted"


def integration_test(column: str) -> str:
    text = f"lower({column})"
    for separator in SEPARATORS:
        text = f"replace({text}, '{separator}', ' ')"
    spaced = f"(' ' || {text} || ' ')"
    return "(" + " OR ".join(f"{spaced} LIKE '% {hint} %'" for hint in HINTS) + ")"


def api_test(column: str) -> str:
    return f"({column} ~* '{API_PATTERN}')"


def register_sql(source: str, column: str) -> str:
    """Add the feature names of `source` not listed yet (in name order, so numbering is stable). The
    names are made distinct first: the integration and API tests run once per name, not once per row."""
    return (f"INSERT INTO accounts_usagefeature (name, integration, api) "
            f"SELECT n.name, {integration_test('n.name')}, {api_test('n.name')} "
            f"FROM (SELECT DISTINCT {column} AS name FROM {source}) n "
            f"WHERE NOT EXISTS (SELECT 1 FROM accounts_usagefeature f WHERE f.name = n.name) ORDER BY 1 "
            f"ON CONFLICT (name) DO NOTHING")


def aggregate_sql(where: str, *, source: str = "accounts_usagerecord") -> str:
    """The days of the usage rows (u, from `source`: the table, or a trigger's transition table) that
    match `where`, joined to the feature list (f)."""
    bit = "CAST(1 AS bigint) << CAST((f.id - 1) % 62 AS integer)"
    features = f"BIT_OR(CASE WHEN u.usage_count > 0 THEN {bit} ELSE 0 END)"
    return (f"SELECT u.subscription_id, u.date, (f.id - 1) / 62 AS word, SUM(u.usage_count) AS usage_count, "
            f"SUM(u.error_count) AS error_count, {features} AS features_used, "
            f"SUM(CASE WHEN f.integration THEN u.usage_count ELSE 0 END) AS integration_usage, "
            f"SUM(CASE WHEN f.integration THEN u.error_count ELSE 0 END) AS integration_errors, "
            f"SUM(CASE WHEN f.api THEN u.usage_count ELSE 0 END) AS api_usage "
            f"FROM {source} u JOIN accounts_usagefeature f ON f.name = u.feature_name "
            f"WHERE {where} GROUP BY u.subscription_id, u.date, (f.id - 1) / 62")


def rebuild_sql(where: str) -> str:
    """Write the days of the usage rows that match `where` (their old days must be gone)."""
    return f"INSERT INTO accounts_usageday ({DAY_COLUMNS}) {aggregate_sql(where)}"


@contextmanager
def insert_trigger_off(cursor) -> Iterator[None]:
    """For a big load of usage rows: they skip the insert trigger, and their days are rebuilt once afterwards
    (rebuild_subscriptions)."""
    cursor.execute(f"ALTER TABLE accounts_usagerecord DISABLE TRIGGER {INSERT_TRIGGER}")
    yield
    cursor.execute(f"ALTER TABLE accounts_usagerecord ENABLE TRIGGER {INSERT_TRIGGER}")


def rebuild_subscriptions(cursor, subscription_ids: list[int], *, feature_source: str) -> None:
    """Inside the importing transaction: register the features of `feature_source` (the
    import's staging table) and rebuild every day of these subscriptions from their rows. The days are
    first aggregated into a temporary table, which PostgreSQL does in parallel (an INSERT ... SELECT
    never is), then swapped in."""
    if not subscription_ids:
        return
    cursor.execute(register_sql(feature_source, "feature_name"))
    cursor.execute("SELECT count(DISTINCT subscription_id) FROM accounts_usageday")
    known = cursor.fetchone()[0]
    # Most of the book: one pass over every row beats picking the subscriptions' rows one by one.
    everything = len(subscription_ids) >= known
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("DROP TABLE IF EXISTS import_usage_days")
    if everything:
        cursor.execute(f"CREATE TEMP TABLE import_usage_days ON COMMIT DROP AS {aggregate_sql('TRUE')}")
        cursor.execute("DELETE FROM accounts_usageday")
    else:
        # Written out (whole numbers only): the aggregate's own % operators rule out query parameters.
        ids = "'{" + ",".join(str(int(i)) for i in subscription_ids) + "}'::bigint[]"
        cursor.execute(f"CREATE TEMP TABLE import_usage_days ON COMMIT DROP AS "
                       f"{aggregate_sql(f'u.subscription_id = ANY({ids})')}")
        cursor.execute(f"DELETE FROM accounts_usageday WHERE subscription_id = ANY({ids})")
    # In date order: the day table's BRIN index (accounts.UsageDay) lets a recompute read only its window's pages.
    insert = (f"INSERT INTO accounts_usageday ({DAY_COLUMNS}) SELECT * FROM import_usage_days "
              "ORDER BY date, subscription_id, word")
    if known:
        cursor.execute(insert)
    else:
        with indexes_set_aside(cursor, "accounts_usageday"):  # a new book: no day to keep, none to read
            cursor.execute(insert)
    cursor.execute("DROP TABLE import_usage_days")


ADD_TO_DAYS = """
    usage_count = d.usage_count + excluded.usage_count, error_count = d.error_count + excluded.error_count,
    features_used = d.features_used | excluded.features_used,
    integration_usage = d.integration_usage + excluded.integration_usage,
    integration_errors = d.integration_errors + excluded.integration_errors,
    api_usage = d.api_usage + excluded.api_usage"""


def trigger_functions_sql() -> list[str]:
    """The functions the usage rows' triggers run: new rows are added to their days (a day that exists already
    gets the sums added, its features OR-ed); changed or deleted rows have their days rebuilt from the rows."""
    add_new = (f"INSERT INTO accounts_usageday AS d ({DAY_COLUMNS}) "
               f"{aggregate_sql('TRUE', source='new_rows')} "
               f"ON CONFLICT (subscription_id, date, word) DO UPDATE SET {ADD_TO_DAYS}")
    touched = "SELECT subscription_id, date FROM old_rows{more}"
    drop_days = ("DELETE FROM accounts_usageday d USING ({touched}) t "
                 "WHERE d.subscription_id = t.subscription_id AND d.date = t.date")
    rebuild = rebuild_sql("(u.subscription_id, u.date) IN ({touched})")
    changed = touched.format(more=" UNION SELECT subscription_id, date FROM new_rows")
    gone = touched.format(more="")
    return [
        f"""CREATE OR REPLACE FUNCTION accounts_usage_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {register_sql("new_rows", "feature_name")};
            {add_new};
            RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION accounts_usage_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {register_sql("new_rows", "feature_name")};
            {drop_days.format(touched=changed)};
            {rebuild.format(touched=changed)};
            RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION accounts_usage_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {drop_days.format(touched=gone)};
            {rebuild.format(touched=gone)};
            RETURN NULL;
        END $$""",
    ]
