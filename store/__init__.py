"""PostgreSQL: migrations and asyncpg queries. The only place SQL lives."""
