-- The postgresql parity fixture (README.md): loaded into an empty database named parity_golden.
-- Schema public holds what the original indexes; schema unindexable one table per value the
-- original cannot index, each synced by a connector of its own.

CREATE TYPE mood AS ENUM ('happy', 'sad', 'ünïcode');
CREATE TYPE pair AS (x int, y text);
CREATE DOMAIN positive AS int CHECK (VALUE > 0);

-- Every column type: row 1 ordinary values, row 2 NULL everywhere, row 3 edge values.
CREATE TABLE types (
  id int PRIMARY KEY,
  c_smallint smallint, c_integer integer, c_bigint bigint,
  c_numeric numeric(10,2), c_numeric_free numeric, c_real real, c_double double precision,
  c_boolean boolean, c_text text, c_char char(5), c_varchar varchar(20), c_long text, c_name name,
  c_bytea bytea,
  c_date date, c_timestamp timestamp, c_timestamp3 timestamp(3), c_timestamptz timestamptz,
  c_time time, c_timetz timetz,
  c_uuid uuid, c_json json, c_jsonb jsonb,
  c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
  c_point point, c_line line, c_lseg lseg, c_box box, c_path path, c_polygon polygon, c_circle circle,
  c_bit bit(8), c_varbit varbit(16),
  c_int_array int[], c_text_array text[][], c_uuid_array uuid[], c_inet_array inet[],
  c_numeric_array numeric[], c_timestamp_array timestamp[], c_bool_array boolean[],
  c_bytea_array bytea[], c_jsonb_array jsonb[], c_date_array date[],
  c_money money, c_xml xml, c_enum mood, c_enum_array mood[],
  c_tsvector tsvector, c_tsquery tsquery, c_oid oid, c_domain positive, c_char1 "char"
);

INSERT INTO types VALUES (1,
  32767, -2147483648, 9223372036854775807,
  1.50, 12345678901234567890.123456789, 1.1, 0.1,
  true, E'Grüße, 日本, 🎉, "quoted" \\ tab\t ctrl\x01 rtl \u05e9\u05dc\u05d5\u05dd', 'ab', 'abc', repeat('é', 30000), 'a_name',
  '\x00ff41c3bc',
  '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.12', '2024-01-02 03:04:05+02',
  '13:45:10.5', '13:45:10+05:30',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"b": 1, "a": [1.0, 2e3, null, -0.5], "u": "ü\u00e9", "e": {}, "x": "1e400"}',
  '{"n": 12345678901234567890, "f": 1.5, "s": "ü", "nested": {"deep": [true, false]}}',
  '192.168.1.1', '10.0.0.0/8', '08:00:2B:01:02:03', '08:00:2b:01:02:03:04:05',
  '(1.5,2.5)', '{1,-1,0}', '[(0,0),(1,1)]', '((2,2),(0,0))', '[(0,0),(1,1),(2,0)]', '((0,0),(1,0),(1,1))', '<(0,0),5>',
  B'10101010', B'10101',
  '{1,NULL,3}', '{{a,b},{c,"d e"}}', '{550e8400-e29b-41d4-a716-446655440000}', '{192.168.1.1,10.0.0.1/8}',
  '{1.5,2}', '{"2024-01-02 03:04:05"}', '{true,false,NULL}',
  ARRAY['\x00ff'::bytea, 'abc'::bytea], ARRAY['{"a": 1}'::jsonb, '{"b": [1, 2.5]}'::jsonb], '{2024-02-29,1999-12-31}',
  12.34, '<a x="1">x &amp; y</a>', 'happy', '{happy,ünïcode}',
  'a fat cat', 'fat & rat', 4294967295, 7, 'x'
);

INSERT INTO types (id) VALUES (2);

INSERT INTO types VALUES (3,
  -32768, 0, -9223372036854775808,
  -0.01, 0.00000012, -3.4e38, 1e38,
  false, '', '', '', '', '',
  '',
  '0001-01-01', '1970-01-01 00:00:00', '2024-01-02 03:04:05', '1969-12-31 23:59:59.999999+00',
  '00:00:00', '23:59:59.999999-12:00',
  '00000000-0000-0000-0000-000000000000', '[]', 'null',
  '2001:db8::1/64', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff:ff:ff',
  '(-0.5,1e10)', '{0,1,-2}', '[(1.25,-1),(3,4)]', '((0,0),(0,0))', '((0,0),(3,0),(3,3))', '((0,0),(2,0),(2,2),(0,2))', '<(1.5,-2.5),0.25>',
  B'00000000', B'',
  '{}', '{}', '{}', '{}',
  '{-0.5,100}', '{}', '{}',
  '{}', '{}', '{}',
  -0.99, '<empty/>', 'sad', '{}',
  '', 'a', 0, 1, ''
);

-- Document ids from keys of several types.
CREATE TABLE k_text (a text, b int, v text, PRIMARY KEY (a, b));
INSERT INTO k_text VALUES ('x y', 2, 'space'), ('Ünï', -1, 'unicode'), ('a_b/c''d"e', 0, 'punctuation'), ('', 5, 'empty text key');
CREATE TABLE k_uuid (u uuid PRIMARY KEY, v int);
INSERT INTO k_uuid VALUES ('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 1);
CREATE TABLE k_num (n numeric(6,2) PRIMARY KEY, v int);
INSERT INTO k_num VALUES (1.5, 1), (0.0000, 2), (-12.3, 3);
CREATE TABLE k_float (f double precision PRIMARY KEY, v int);
INSERT INTO k_float VALUES (0.1, 1), (1e20, 2), (3, 3), (-0.000001, 4);
CREATE TABLE k_time (ts timestamp, tz timestamptz, d date, t time, PRIMARY KEY (ts, tz, d, t));
INSERT INTO k_time VALUES ('2024-01-02 03:04:05.5', '2024-01-02 03:04:05+02', '2024-02-29', '12:00:00'),
  ('2024-01-02 03:04:05', '2024-06-01 00:00:00.000001+00', '1999-12-31', '00:00:00.25');
CREATE TABLE k_bool (b boolean PRIMARY KEY, v int);
INSERT INTO k_bool VALUES (true, 1), (false, 0);
CREATE TABLE k_bytes (b bytea PRIMARY KEY);
INSERT INTO k_bytes VALUES ('\x0041ff27'), ('\x68c3a9');
CREATE TABLE k_long (k text PRIMARY KEY, v int);
INSERT INTO k_long VALUES (repeat('k', 600), 1), (repeat('ü', 250), 2), (repeat('s', 480), 3);
CREATE TABLE k_big (a bigint, b smallint, PRIMARY KEY (b, a));
INSERT INTO k_big VALUES (9223372036854775807, -1);
CREATE TABLE "MixedCase" ("Key" int PRIMARY KEY, "Value" text, "Mixed Col" text);
INSERT INTO "MixedCase" VALUES (7, 'v', 'spaced');
CREATE TABLE "Weird Table-ü" (id int PRIMARY KEY, "Ünï Col" text);
INSERT INTO "Weird Table-ü" VALUES (1, 'weird');
-- Two columns whose field names collide once lower-cased.
CREATE TABLE dup_case (id int PRIMARY KEY, "Value" text, value text);
INSERT INTO dup_case VALUES (1, 'upper', 'lower');

-- Tables the original does not index: no primary key, no rows, a view.
CREATE TABLE no_pk (a int, b text);
INSERT INTO no_pk VALUES (1, 'x');
CREATE TABLE empty_table (id int PRIMARY KEY);
CREATE VIEW a_view AS SELECT id, c_text FROM types;

-- A partitioned table: the parent has no primary key of its own kind, its partitions do.
CREATE TABLE measurements (id int, region text, v numeric, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE measurements_eu PARTITION OF measurements FOR VALUES IN ('eu');
CREATE TABLE measurements_us PARTITION OF measurements FOR VALUES IN ('us');
INSERT INTO measurements VALUES (1, 'eu', 1.25), (2, 'us', 2.5);

-- Values the original cannot index: one table each.
CREATE SCHEMA unindexable;
CREATE TABLE unindexable.interval_col (id int PRIMARY KEY, v interval);
INSERT INTO unindexable.interval_col VALUES (1, '1 year 2 mons 3 days 04:05:06.5');
CREATE TABLE unindexable.range_col (id int PRIMARY KEY, v int4range);
INSERT INTO unindexable.range_col VALUES (1, '[1,5)');
CREATE TABLE unindexable.record_col (id int PRIMARY KEY, v pair);
INSERT INTO unindexable.record_col VALUES (1, ROW(1, 'x'));
CREATE TABLE unindexable.nan_numeric (id int PRIMARY KEY, v numeric);
INSERT INTO unindexable.nan_numeric VALUES (1, 'NaN');
CREATE TABLE unindexable.infinite_double (id int PRIMARY KEY, v double precision);
INSERT INTO unindexable.infinite_double VALUES (1, 'Infinity');
CREATE TABLE unindexable.infinite_date (id int PRIMARY KEY, v date);
INSERT INTO unindexable.infinite_date VALUES (1, 'infinity');
CREATE TABLE unindexable.bc_date (id int PRIMARY KEY, v date);
INSERT INTO unindexable.bc_date VALUES (1, '0044-03-15 BC');
CREATE TABLE unindexable.infinite_timestamp (id int PRIMARY KEY, v timestamp);
INSERT INTO unindexable.infinite_timestamp VALUES (1, 'infinity');
