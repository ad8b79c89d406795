#!/bin/sh
# First start of the compose file's PostgreSQL only: one role and database each for Temporal and ticketflow,
# each database owned by its role (PostgreSQL 15+ grants nothing on `public` to other roles).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_pw="$TEMPORAL_DB_PASSWORD" -v ticketflow_pw="$TICKETFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
CREATE ROLE ticketflow LOGIN PASSWORD :'ticketflow_pw';
CREATE DATABASE ticketflow OWNER ticketflow;
SQL
