"""The usage-day SQL as migration accounts.0004 installed it (a frozen copy: accounts.usage_days has moved on since,
and a migration must do on a new database what it did when it was written). Not a migration itself: Django skips
modules whose names start with an underscore."""

# A feature is an integration feature when one of these words stands on its own in its name, words
# being separated by spaces and _ - . / : ( ) , (a plain LIKE test, without regex).
HINTS = ("ehr", "integration", "sync", "api", "interface", "hl7", "fhir")
SEPARATORS = ("_", "-", ".", "/", ":", "(", ")", ",")
DAY_COLUMNS = ("subscription_id, date, word, usage_count, error_count, features_used, integration_usage, "
               "integration_errors")
INSERT_TRIGGER = "accounts_usage_inserted"


def integration_test(column: str) -> str:
    text = f"lower({column})"
    for separator in SEPARATORS:
        text = f"replace({text}, '{separator}', ' ')"
    spaced = f"(' ' || {text} || ' ')"
    return "(" + " OR ".join(f"{spaced} LIKE '% {hint} %'" for hint in HINTS) + ")"


def register_sql(source: str, column: str) -> str:
    """Add the feature names of `source` not listed yet (in name order, so numbering is stable). The
    names are made distinct first: the integration test runs once per name, not once per row."""
    return (f"INSERT INTO accounts_usagefeature (name, integration) "
            f"SELECT n.name, {integration_test('n.name')} FROM (SELECT DISTINCT {column} AS name FROM {source}) n "
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
            f"SUM(CASE WHEN f.integration THEN u.error_count ELSE 0 END) AS integration_errors "
            f"FROM {source} u JOIN accounts_usagefeature f ON f.name = u.feature_name "
            f"WHERE {where} GROUP BY u.subscription_id, u.date, (f.id - 1) / 62")


def rebuild_sql(where: str) -> str:
    """Write the days of the usage rows that match `where` (their old days must be gone)."""
    return f"INSERT INTO accounts_usageday ({DAY_COLUMNS}) {aggregate_sql(where)}"


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
    cursor.execute(f"INSERT INTO accounts_usageday ({DAY_COLUMNS}) SELECT * FROM import_usage_days")
    cursor.execute("DROP TABLE import_usage_days")
