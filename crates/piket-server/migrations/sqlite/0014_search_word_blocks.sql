-- PostgreSQL gained an index of word block lexemes in this version; FTS5 walks its index
-- newest first already and needs nothing (the version exists so both folders stay in step).
SELECT 1;
