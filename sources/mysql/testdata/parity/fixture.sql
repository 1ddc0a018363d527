-- The mysql parity fixture (README.md): loaded into an empty database named parity_golden
-- (CHARACTER SET utf8mb4). Statements end with ";" at the end of a line. Tables named
-- unindexable_* hold values the original cannot index, each synced by a connector of its own.

-- Every column type: row 1 ordinary values, row 2 NULL everywhere, row 3 edge values.
CREATE TABLE types (
  pk INT PRIMARY KEY,
  c_tinyint TINYINT, c_bool TINYINT(1), c_smallint SMALLINT, c_mediumint MEDIUMINT, c_int INT,
  c_int_unsigned INT UNSIGNED, c_bigint BIGINT, c_bigint_unsigned BIGINT UNSIGNED, c_year YEAR,
  c_decimal DECIMAL(10,2), c_decimal_big DECIMAL(65,30), c_float FLOAT, c_double DOUBLE,
  c_bit1 BIT(1), c_bit8 BIT(8), c_bit64 BIT(64),
  c_char CHAR(5), c_varchar VARCHAR(100), c_tinytext TINYTEXT, c_text TEXT, c_longtext LONGTEXT,
  c_latin1 VARCHAR(20) CHARACTER SET latin1, c_binary BINARY(3), c_varbinary VARBINARY(10), c_blob BLOB,
  c_enum ENUM('a','b','ü'), c_set SET('x','y','z'), c_json JSON,
  c_date DATE, c_datetime DATETIME, c_datetime6 DATETIME(6), c_datetime3 DATETIME(3), c_timestamp TIMESTAMP NULL,
  c_geometry GEOMETRY, c_point POINT, c_uuid UUID, c_inet6 INET6, c_inet4 INET4
);

INSERT INTO types VALUES (1,
  -128, 1, 32767, 8388607, -2147483648,
  4294967295, -9223372036854775808, 18446744073709551615, 2024,
  1.50, 12345678901234567890.123456789, 1.1, 0.1,
  1, b'01000001', b'1111111111111111111111111111111111111111111111111111111111111111',
  'ab', 'Grüße, 日本, 🎉, "q" \\ tab\t rtl שלום', 'tiny', 'text ü', REPEAT('é', 30000),
  'café', 0x00FF41, 0x41FF42, 'bytes ü',
  'ü', 'x,z', '{"a": 1, "b": [1.5, 2e3], "c": {"d": null}, "u": "ü"}',
  '2024-02-29', '2024-01-02 03:04:05', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.12', '2024-01-02 03:04:05',
  ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(-0.5 1e10)'), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '2001:db8::1', '192.168.1.1'
);

INSERT INTO types (pk) VALUES (2);

INSERT INTO types VALUES (3,
  0, 0, -32768, -8388608, 0,
  0, 9223372036854775807, 0, 1901,
  -0.01, 0.000000000000000000000000000001, -3.4e38, 1e38,
  0, b'00000000', b'0',
  '', '', '', '', '',
  '', 0x000000, '', '',
  'a', '', '[]',
  '1000-01-01', '1000-01-01 00:00:00', '9999-12-31 23:59:59.999999', '2024-01-02 03:04:05', '1970-01-01 00:00:01',
  ST_GeomFromText('LINESTRING(0 0, 1 1)'), ST_GeomFromText('POINT(0 0)'), '00000000-0000-0000-0000-000000000000', '::', '0.0.0.0'
);

-- Document ids from keys of several types. Column names differ from table to table: the
-- original writes them unprefixed, so equal names of different types would clash in the index.
CREATE TABLE k_text (kt_a VARCHAR(20), kt_b INT, kt_v TEXT, PRIMARY KEY (kt_a, kt_b));
INSERT INTO k_text VALUES ('x y', 2, 'space'), ('Ünï', -1, 'unicode'), ('a_b/c''d"e', 0, 'punctuation'), ('', 5, 'empty text key');
CREATE TABLE k_dec (kd_n DECIMAL(6,2) PRIMARY KEY, kd_v INT);
INSERT INTO k_dec VALUES (1.5, 1), (0, 2), (-12.3, 3);
CREATE TABLE k_double (kf_f DOUBLE PRIMARY KEY, kf_v INT);
INSERT INTO k_double VALUES (0.1, 1), (1e20, 2), (3, 3), (-0.000001, 4);
CREATE TABLE k_time (ktm_ts DATETIME(6), ktm_d DATE, PRIMARY KEY (ktm_ts, ktm_d));
INSERT INTO k_time VALUES ('2024-01-02 03:04:05.5', '2024-02-29'), ('2024-01-02 03:04:05', '1999-12-31');
CREATE TABLE k_bin (kb_b VARBINARY(8) PRIMARY KEY, kb_v INT);
INSERT INTO k_bin VALUES (0x0041FF27, 1), (0x68C3A9, 2);
CREATE TABLE k_u (ku_u BIGINT UNSIGNED PRIMARY KEY, ku_v INT);
INSERT INTO k_u VALUES (18446744073709551615, 1);
CREATE TABLE k_uuid (kuu_u UUID PRIMARY KEY, kuu_v INT);
INSERT INTO k_uuid VALUES ('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 1);
CREATE TABLE k_long (kl_k VARCHAR(600) PRIMARY KEY, kl_v INT);
INSERT INTO k_long VALUES (REPEAT('k', 600), 1), (REPEAT('ü', 255), 2), (REPEAT('s', 500), 3);
CREATE TABLE k_bool (kbo_b TINYINT(1) PRIMARY KEY, kbo_v INT);
INSERT INTO k_bool VALUES (1, 1), (0, 0);
-- A column named id that is not the key: the service writes the document id over it.
CREATE TABLE has_id_col (hk INT PRIMARY KEY, id VARCHAR(10), `Mixed Col` TEXT);
INSERT INTO has_id_col VALUES (1, 'not-the-id', 'spaced');
CREATE TABLE `Weird Table-ü` (id INT PRIMARY KEY, `Ünï Col` TEXT);
INSERT INTO `Weird Table-ü` VALUES (1, 'weird');
CREATE TABLE MixedCase (`Key` INT PRIMARY KEY, `Value` TEXT);
INSERT INTO MixedCase VALUES (7, 'v');

-- Tables the original does not index: no primary key, no rows, a view.
CREATE TABLE no_pk (np_a INT, np_b TEXT);
INSERT INTO no_pk VALUES (1, 'x');
CREATE TABLE empty_table (id INT PRIMARY KEY);
CREATE VIEW a_view AS SELECT pk, c_varchar FROM types;

-- Values the original cannot index: one table each.
CREATE TABLE unindexable_time (id INT PRIMARY KEY, v TIME);
INSERT INTO unindexable_time VALUES (1, '12:34:56');
CREATE TABLE unindexable_negative_time (id INT PRIMARY KEY, v TIME(6));
INSERT INTO unindexable_negative_time VALUES (1, '-838:59:59.000000');
CREATE TABLE unindexable_zero_date (id INT PRIMARY KEY, v DATE, w DATETIME);
INSERT INTO unindexable_zero_date VALUES (1, '0000-00-00', '0000-00-00 00:00:00');
