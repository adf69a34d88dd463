-- Every search document also holds its ticket's block lexeme, 'blk <ticket_id / 4096>' (a
-- space inside, so no parsed word can equal it): "matches among the newest tickets" becomes one
-- GIN lookup (the words AND the newest blocks) instead of a walk of the key or a heap visit per
-- match (src/tickets/search_plan.rs, BLOCK). Rebuilding the indexes after the update is faster
-- than updating them row by row.
--
-- The indexes keep a short pending list (64 kB, not the default 4 MB): every search reads the
-- whole list, and a full one cost 1.5 ms per search on a million tickets (a rare word's index
-- lookup otherwise takes 0.03 ms). New documents still go in batches of about a hundred.
DROP INDEX ticket_search_public;
DROP INDEX ticket_search_all;
UPDATE ticket_search SET
    public_doc = public_doc || array_to_tsvector(ARRAY['blk ' || (ticket_id / 4096)]),
    all_doc = all_doc || array_to_tsvector(ARRAY['blk ' || (ticket_id / 4096)]);
CREATE INDEX ticket_search_public ON ticket_search USING GIN (public_doc)
    WITH (gin_pending_list_limit = 64);
CREATE INDEX ticket_search_all ON ticket_search USING GIN (all_doc)
    WITH (gin_pending_list_limit = 64);
