extension PostgresSchema {
    /// The instances the fleet has seen, so what one committed to the outbox and never wrote
    /// to its log (it stopped for good: a pod gone with its volume) is adopted by another.
    static let version2 = #"""
        -- When each outbox row was committed: a row this instance has not written after a while
        -- is one whose commit's answer was lost (a timeout, a dropped connection), and it is
        -- written then.
        ALTER TABLE hookline_outbox ADD COLUMN committed_at timestamptz NOT NULL DEFAULT now();

        CREATE TABLE hookline_instances (
            name text PRIMARY KEY,
            seen_at timestamptz NOT NULL
        );

        -- Instances that wrote outbox rows before this migration are seen now: they are adopted
        -- only if they stay away.
        INSERT INTO hookline_instances (name, seen_at) SELECT DISTINCT instance, now() FROM hookline_outbox ON CONFLICT DO NOTHING;

        -- Moves to p_instance the outbox rows of every other instance silent for longer than
        -- p_after, and forgets those instances; returns the rows moved, oldest first. An instance
        -- coming back as this runs waits on its row's lock, then finds its rows gone.
        CREATE FUNCTION hookline_adopt(p_instance text, p_after float8)
        RETURNS TABLE (seq bigint, event_id text, line bytea, previous text) LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            gone text[];
        BEGIN
            WITH forgotten AS (
                DELETE FROM hookline_instances i
                WHERE i.seen_at < now() - make_interval(secs => p_after) AND i.name <> p_instance
                RETURNING i.name
            )
            SELECT array_agg(f.name) INTO gone FROM forgotten f;
            IF gone IS NULL THEN
                RETURN;
            END IF;
            RETURN QUERY
            WITH moved AS (
                UPDATE hookline_outbox o SET instance = p_instance
                FROM (SELECT o2.seq, o2.instance FROM hookline_outbox o2 WHERE o2.instance = ANY (gone) FOR UPDATE) old
                WHERE o.seq = old.seq
                RETURNING o.seq, o.event_id, o.line, old.instance
            )
            SELECT m.seq, m.event_id, m.line, m.instance FROM moved m ORDER BY m.seq;
        END $$;

        """#
}
