-- The contact list's table view: the city of the first address, the day
-- of the last contact (recorded or the latest interaction) and the tags,
-- each with a folded key to sort by beside the company's. Filled for the
-- rows already there when the store opens (store/open.rs).
ALTER TABLE directory ADD COLUMN company_key TEXT;
ALTER TABLE directory ADD COLUMN city TEXT;
ALTER TABLE directory ADD COLUMN city_key TEXT;
ALTER TABLE directory ADD COLUMN last_contact TEXT;
ALTER TABLE directory ADD COLUMN tags TEXT;
ALTER TABLE directory ADD COLUMN tags_key TEXT;
