-- Run once by the postgres image, on an empty data volume only (docker-entrypoint-initdb.d),
-- as POSTGRES_USER, which therefore owns the database. Airflow's metadata database is the
-- image's POSTGRES_DB; govshare keeps its registry apart from it so either can be backed up,
-- restored or moved without the other.
CREATE DATABASE govshare_registry;
