-- sqlite3-workload.sql: the sqlite3 workload of the real-world suite and its benchmark:
-- __ROWS__ rows made by a recursive CTE, two indexes, queries, updates, a view, a
-- trigger, a transaction rolled back, an integrity check. Output is deterministic.
.headers on
.mode list
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, price REAL, tag TEXT);
CREATE TABLE audit(id INTEGER PRIMARY KEY, item INTEGER, what TEXT);
CREATE TRIGGER item_del AFTER DELETE ON item BEGIN
    INSERT INTO audit(item, what) VALUES (old.id, 'deleted ' || old.name);
END;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < __ROWS__)
INSERT INTO item(id, name, grp, price, tag)
    SELECT i, printf('item-%06d', (i * 7919) % __ROWS__), i % 97, (i * 37 % 1000) / 10.0,
           substr('abcdefghij', 1 + i % 10, 1 + i % 3)
    FROM n;
COMMIT;
CREATE INDEX item_grp ON item(grp, price);
CREATE INDEX item_name ON item(name);
SELECT count(*), sum(price), min(name), max(name) FROM item;
SELECT grp, count(*), round(avg(price), 3) FROM item WHERE grp < 5 GROUP BY grp ORDER BY grp;
SELECT name, price FROM item WHERE name BETWEEN 'item-000100' AND 'item-000105' ORDER BY name;
SELECT tag, count(*) FROM item GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 5;
SELECT a.grp, count(*) FROM item a JOIN item b ON a.id = b.id + 1 AND a.grp = b.grp + 1
    WHERE a.id % 1000 = 0 GROUP BY a.grp ORDER BY a.grp LIMIT 5;
UPDATE item SET price = price * 2 WHERE grp = 3;
DELETE FROM item WHERE id % 1000 = 1;
SELECT count(*) FROM audit;
CREATE VIEW dear AS SELECT grp, max(price) AS top FROM item GROUP BY grp;
SELECT * FROM dear WHERE top > 99 ORDER BY grp LIMIT 5;
BEGIN;
DELETE FROM item;
ROLLBACK;
SELECT count(*) FROM item;
EXPLAIN QUERY PLAN SELECT * FROM item WHERE grp = 5 AND price > 50;
SELECT count(*) FROM item WHERE grp = 5 AND price > 50;
PRAGMA integrity_check;
