-- The Staff database of lesson 05 (cache-aside).
--
-- Five employees and the department each one works in. Lesson 05 caches
-- answers to queries against these two tables in Valkey.
--
-- Loaded for you by `make infra-up`: into the database named in DATABASE_URL
-- (native servers), or by the postgres image on its first start (Docker).
-- Load it yourself with:   psql "$DATABASE_URL" -f infra/staff.sql
--
-- Safe to run again and again: tables are created only when missing, and a
-- row that is already there (same id) is left as it is.
--
-- Two mistakes of the usual tutorial, fixed here:
--   * PostgreSQL has no `CREATE DATABASE IF NOT EXISTS` (nor "IF NOT EXIST"):
--     the database is created beforehand (by infra/infra.sh, or by the image's
--     POSTGRES_DB), so this file only creates tables.
--   * its department INSERT names columns that its own CREATE TABLE lacks;
--     here the INSERT lists exactly the columns the table has.

BEGIN;

CREATE TABLE IF NOT EXISTS employees (
    id   integer PRIMARY KEY,
    name text    NOT NULL
);

-- One row per employee: the department they belong to and their job there.
CREATE TABLE IF NOT EXISTS department (
    id          integer PRIMARY KEY,
    name        text    NOT NULL,
    job_title   text    NOT NULL,
    employee_id integer NOT NULL REFERENCES employees (id)
);

INSERT INTO employees (id, name) VALUES
    (1, 'Alice Martin'),
    (2, 'Bruno Costa'),
    (3, 'Chloe Nguyen'),
    (4, 'Dmitri Ivanov'),
    (5, 'Esther Okafor')
ON CONFLICT (id) DO NOTHING;

INSERT INTO department (id, name, job_title, employee_id) VALUES
    (1, 'Engineering', 'Backend Developer',  1),
    (2, 'Sales',       'Account Executive',  2),
    (3, 'Finance',     'Financial Analyst',  3),
    (4, 'Engineering', 'Site Reliability Engineer', 4),
    (5, 'Marketing',   'Content Strategist', 5)
ON CONFLICT (id) DO NOTHING;

COMMIT;
