"""Version 8: the registry extract stored compactly, grouped by the birth code of the NIK.

A province's extract has millions of rows, and a drive needs only two kinds of look-up in it: by NIK, and
by birth date and sex (students without a usable NIK). Digits 7-12 of a NIK encode the birth date and sex
(DDMMYY, 40 added to the day for women), so both look-ups go to the rows sharing one such code:
``registry_bucket`` holds, per extract and code, those rows as lines of text (a line per row; the fields
as described by ``registry_extract.layout``), in one or more rows (an extract read in parts). A row whose birth date or sex column disagrees with its NIK
is also filed under the code of that birth date and sex. This replaces one table row per person
(``registry_person``): an import writes a few tens of thousands of rows instead of millions. The rows of
existing extracts are carried over.

The indexes on ``roster_student`` (nik) and (nisn) go: no query uses them, and as their keys arrive in
random order each school's import rewrote pages all over both (measured: storing 200,000 students took
2.5x as long with them).
"""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 8
NAME = "registry_buckets"

# the layout of lines written from normalised values: NIK, name, birth date (ISO), sex, status, separated
# by U+001F (JSON text, as registry_extract.layout holds it)
NORMAL_LAYOUT = '{"delimiter": "\\u001f", "columns": {"nik": 0, "name": 1, "birth_date": 2, "sex": 3, "status": 4}}'

_LINE = ("replace(replace(p.nik, char(31), ' '), char(10), ' ') || char(31) || "
         "replace(replace(p.name, char(31), ' '), char(10), ' ') || char(31) || p.birth_date || char(31) || p.sex "
         "|| char(31) || replace(replace(p.status, char(31), ' '), char(10), ' ')")

SQL = f"""
CREATE TABLE registry_bucket (
    id INTEGER PRIMARY KEY,
    extract_id INTEGER NOT NULL REFERENCES registry_extract (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX ix_registry_bucket_code ON registry_bucket (extract_id, code);
ALTER TABLE registry_extract ADD COLUMN layout TEXT NOT NULL DEFAULT '';
INSERT INTO registry_bucket (extract_id, code, data)
SELECT extract_id, code, group_concat(line, char(10)) FROM (
    SELECT p.extract_id AS extract_id, substr(p.nik, 7, 6) AS code, {_LINE} AS line
    FROM registry_person p ORDER BY p.id)
WHERE true GROUP BY extract_id, code;
INSERT INTO registry_bucket (extract_id, code, data)
SELECT extract_id, code, group_concat(line, char(10)) FROM (
    SELECT p.extract_id AS extract_id, substr(p.nik, 7, 6) AS nik_code,
           printf('%02d', CAST(substr(p.birth_date, 9, 2) AS INTEGER) + CASE s.sex WHEN 'P' THEN 40 ELSE 0 END)
           || substr(p.birth_date, 6, 2) || substr(p.birth_date, 3, 2) AS code, {_LINE} AS line
    FROM registry_person p JOIN (SELECT 'L' AS sex UNION ALL SELECT 'P') s ON p.sex = s.sex OR p.sex = ''
    WHERE length(p.birth_date) = 10 ORDER BY p.id)
WHERE code != nik_code GROUP BY extract_id, code;
UPDATE registry_extract SET layout = '{NORMAL_LAYOUT}'
WHERE id IN (SELECT DISTINCT extract_id FROM registry_bucket);
DROP TABLE registry_person;
DROP INDEX ix_roster_student_nik;
DROP INDEX ix_roster_student_nisn
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)
