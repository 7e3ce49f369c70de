-- SQLite: a function around created_at hides it from its index; an index on that exact expression serves it.
-- --8<-- [start:function]
-- Not sargable: strftime is computed for every row, so an index on created_at cannot be searched.
SELECT count(*) FROM orders
WHERE strftime('%Y', created_at) = '2022';
-- --8<-- [end:function]

-- --8<-- [start:expression_index]
-- The same expression as the WHERE clause, written the same way.
CREATE INDEX orders_created_year ON orders (strftime('%Y', created_at));
-- --8<-- [end:expression_index]
