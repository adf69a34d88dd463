-- Word block lexemes: for every word of a ticket's search document, the word and the ticket's
-- block together ('firmware 244', block = ticket_id / 4096, as in 0012_search_blocks.sql). A
-- search for a word that is not rare looks for its newest matches among the newest blocks
-- (src/tickets/search_plan.rs, pg_window_match): with these the GIN index reads only that
-- word's postings in those blocks (as many as it has matches there), where the block lexemes
-- of 0012 made it read one posting per ticket of the blocks. 1.6 ms against 0.5 ms for a word
-- in 1 % of a million tickets.
--
-- The lexemes live only in this expression index, not in the table: the documents, and the
-- ranking that reads them, stay as they were. Only words of ASCII letters and digits of at
-- most 100 characters get them: the only ones the server narrows by (window_word); the others
-- narrow by the blocks alone. all_doc holds every word of public_doc, so one index serves
-- both. It keeps a short pending list like the documents' indexes (0012).
CREATE FUNCTION piket_window_doc(doc tsvector, ticket_id bigint) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT u.lexeme || ' ' || (ticket_id / 4096)
        FROM unnest(tsvector_to_array(doc)) AS u(lexeme)
        WHERE u.lexeme ~ '^[a-z0-9]{1,100}$'))
$$;

CREATE INDEX ticket_search_window ON ticket_search
    USING GIN (piket_window_doc(all_doc, ticket_id)) WITH (gin_pending_list_limit = 64);
