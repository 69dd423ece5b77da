"""The only place that holds SQL: connection, migrations, writes (store) and reads (queries)."""
