-- One index for each order of the table view: the column, then the name
-- and id, so a page is found in the index without reading rows (and a
-- page deep in the list does not decrypt the rows before it).
DROP INDEX directory_sort;
CREATE INDEX directory_by_name ON directory(kind, sort_key, id);
CREATE INDEX directory_by_company ON directory(kind, company_key, sort_key, id);
CREATE INDEX directory_by_city ON directory(kind, city_key, sort_key, id);
CREATE INDEX directory_by_phone ON directory(kind, phone, sort_key, id);
CREATE INDEX directory_by_last_contact ON directory(kind, last_contact, sort_key, id);
CREATE INDEX directory_by_tags ON directory(kind, tags_key, sort_key, id);
