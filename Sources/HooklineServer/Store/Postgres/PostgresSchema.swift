import Foundation

/// The schema, as numbered migrations. Each runs once, in a transaction, recorded in
/// `hookline_migrations`; instances starting together take an advisory lock first, so they
/// do not race. A change to the schema is a new migration at the end, never an edit.
enum PostgresSchema {
    /// The advisory lock key migrations hold (`hookline` in ASCII).
    static let migrationLock: Int64 = 0x686F_6F6B_6C69_6E65

    static let migrations: [(version: Int, statements: [String])] = [
        (1, statements(version1)), (2, statements(version2)), (3, statements(version3)), (4, statements(version4)),
        (5, statements(version5)), (6, statements(version6)), (7, statements(version7)),
        (8, statements(version8)),
    ]

    /// A migration's statements: they are separated by blank lines (the extended protocol
    /// takes one statement at a time), and a function's body has none.
    static func statements(_ sql: String) -> [String] {
        sql.components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { block in !block.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") } }
    }

    /// Events and their jobs; lanes with their lease; learned ids; the fleet's rate limits.
    /// The functions keep each multi-step change to one round trip, with the locking that
    /// keeps a lane's jobs in order across instances.
    static let version1 = #"""
        CREATE TABLE hookline_events (
            id text PRIMARY KEY,
            source text NOT NULL,
            message text,
            type text NOT NULL,
            contact text NOT NULL,
            targets text[] NOT NULL,
            received_at timestamptz NOT NULL,
            payload bytea NOT NULL,
            accepted_by text NOT NULL
        );

        -- Dedup is global: one event per message id and source, whichever instance it reached.
        CREATE UNIQUE INDEX hookline_events_message ON hookline_events (source, message) WHERE message IS NOT NULL;

        CREATE INDEX hookline_events_received ON hookline_events (received_at);

        CREATE TABLE hookline_jobs (
            id bigserial PRIMARY KEY,
            event_id text NOT NULL,
            target text NOT NULL,
            lane text NOT NULL,
            opening text NOT NULL,
            attempt integer NOT NULL DEFAULT 0,
            budget_start integer NOT NULL DEFAULT 0,
            first_attempt_at timestamptz,
            slots timestamptz[],
            slots_target text,
            done boolean NOT NULL DEFAULT false,
            outcome text,
            finished_at timestamptz
        );

        CREATE INDEX hookline_jobs_lane ON hookline_jobs (lane, id) WHERE NOT done;

        CREATE INDEX hookline_jobs_event ON hookline_jobs (event_id, target, id);

        CREATE INDEX hookline_jobs_open ON hookline_jobs (id) WHERE NOT done;

        -- One row per lane with unfinished jobs: its head, when it may run, and who holds it.
        CREATE TABLE hookline_lanes (
            lane text PRIMARY KEY,
            head bigint NOT NULL,
            run_after timestamptz NOT NULL,
            holder text,
            lease_until timestamptz
        );

        CREATE INDEX hookline_lanes_free ON hookline_lanes (run_after) WHERE holder IS NULL;

        CREATE INDEX hookline_lanes_held ON hookline_lanes (lease_until) WHERE holder IS NOT NULL;

        CREATE TABLE hookline_references (
            target text NOT NULL,
            key text NOT NULL,
            id text NOT NULL,
            PRIMARY KEY (target, key)
        );

        -- Audit lines committed with what they record (an event's opening, a job's end), for the
        -- instance that wrote them to copy into its own log: a crash between the commit and the
        -- local write loses no line, as the instance copies what is left when it starts again.
        CREATE TABLE hookline_outbox (
            seq bigserial PRIMARY KEY,
            instance text NOT NULL,
            event_id text NOT NULL,
            line bytea NOT NULL
        );

        CREATE INDEX hookline_outbox_instance ON hookline_outbox (instance, seq);

        -- GCRA: the theoretical arrival time of each target's next call, on the database's clock.
        CREATE TABLE hookline_rate_limits (
            target text PRIMARY KEY,
            tat timestamptz NOT NULL
        );

        -- Accepts a batch: each event is inserted unless its message id is known (then its
        -- original is returned), and the jobs of every event inserted (or redriven) go in with
        -- their lanes. A lane row is upserted after its jobs, taking the row's lock, so a
        -- concurrent finish either sees the new jobs or leaves no lane for them to miss.
        CREATE FUNCTION hookline_accept(
            p_instance text,
            e_id text[], e_source text[], e_message text[], e_type text[], e_contact text[], e_targets text[],
            e_received timestamptz[], e_payload bytea[], e_redrive boolean[], e_line bytea[],
            j_event text[], j_target text[], j_lane text[], j_opening text[], j_attempt integer[], j_budget integer[]
        ) RETURNS TABLE (event_id text, original text, seq bigint) LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            kept text[] := '{}';
            existing text;
        BEGIN
            FOR i IN 1 .. coalesce(array_length(e_id, 1), 0) LOOP
                IF NOT e_redrive[i] THEN
                    INSERT INTO hookline_events (id, source, message, type, contact, targets, received_at, payload, accepted_by)
                    VALUES (e_id[i], e_source[i], nullif(e_message[i], ''), e_type[i], e_contact[i], string_to_array(e_targets[i], ','),
                            e_received[i], e_payload[i], p_instance)
                    ON CONFLICT DO NOTHING;
                    IF NOT FOUND THEN
                        SELECT e.id INTO existing FROM hookline_events e WHERE e.source = e_source[i] AND e.message = nullif(e_message[i], '');
                        event_id := e_id[i];
                        original := coalesce(existing, e_id[i]);
                        seq := NULL;
                        RETURN NEXT;
                        CONTINUE;
                    END IF;
                END IF;
                kept := kept || e_id[i];
                INSERT INTO hookline_outbox (instance, event_id, line) VALUES (p_instance, e_id[i], e_line[i]) RETURNING hookline_outbox.seq INTO seq;
                event_id := e_id[i];
                original := NULL;
                RETURN NEXT;
            END LOOP;
            WITH new_jobs AS (
                INSERT INTO hookline_jobs (event_id, target, lane, opening, attempt, budget_start)
                SELECT j.e, j.t, j.l, j.o, j.a, j.b
                FROM unnest(j_event, j_target, j_lane, j_opening, j_attempt, j_budget) WITH ORDINALITY AS j(e, t, l, o, a, b, n)
                WHERE j.e = ANY (kept)
                ORDER BY j.n
                RETURNING id, lane
            )
            INSERT INTO hookline_lanes (lane, head, run_after)
            SELECT DISTINCT ON (n.lane) n.lane, n.id, now() FROM new_jobs n ORDER BY n.lane, n.id
            ON CONFLICT (lane) DO UPDATE SET lane = excluded.lane;
            IF array_length(kept, 1) > 0 THEN
                PERFORM pg_notify('hookline_jobs', '');
            END IF;
        END $$;

        -- Claims up to p_max runnable lanes for p_instance: free ones first, then ones whose
        -- holder's lease ran out (a takeover). Returns each lane's head job with its event.
        CREATE FUNCTION hookline_claim(p_instance text, p_lease interval, p_max integer)
        RETURNS TABLE (
            job bigint, lane text, previous text, event_id text, target text, opening text, attempt integer,
            budget_start integer, first_attempt_ago float8, slots float8[], slots_target text,
            source text, message text, type text, contact text, targets text[], received_at timestamptz, payload bytea
        ) LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            picked text[];
            previous_holders text[];
        BEGIN
            SELECT array_agg(l.lane), array_agg(coalesce(l.holder, '')) INTO picked, previous_holders FROM (
                SELECT f.lane, f.holder FROM hookline_lanes f
                WHERE f.holder IS NULL AND f.run_after <= now()
                ORDER BY f.run_after LIMIT p_max FOR UPDATE SKIP LOCKED
            ) l;
            IF coalesce(array_length(picked, 1), 0) < p_max THEN
                SELECT picked || coalesce(array_agg(l.lane), '{}'), previous_holders || coalesce(array_agg(l.holder), '{}')
                INTO picked, previous_holders FROM (
                    SELECT h.lane, h.holder FROM hookline_lanes h
                    WHERE h.holder IS NOT NULL AND h.lease_until < now() AND h.run_after <= now()
                    ORDER BY h.lease_until LIMIT p_max - coalesce(array_length(picked, 1), 0) FOR UPDATE SKIP LOCKED
                ) l;
            END IF;
            IF coalesce(array_length(picked, 1), 0) = 0 THEN
                RETURN;
            END IF;
            UPDATE hookline_lanes l SET holder = p_instance, lease_until = now() + p_lease WHERE l.lane = ANY (picked);
            RETURN QUERY
            SELECT j.id, l.lane, nullif(p.previous, ''), j.event_id, j.target, j.opening, j.attempt, j.budget_start,
                   extract(epoch FROM now() - j.first_attempt_at)::float8,
                   (SELECT array_agg(extract(epoch FROM s - now())::float8) FROM unnest(j.slots) s), j.slots_target,
                   e.source, e.message, e.type, e.contact, e.targets, e.received_at, e.payload
            FROM unnest(picked, previous_holders) AS p(lane, previous)
            JOIN hookline_lanes l ON l.lane = p.lane
            JOIN hookline_jobs j ON j.id = l.head
            JOIN hookline_events e ON e.id = j.event_id;
        END $$;

        -- Ends a lane's head job, if p_instance still holds the lane, with its terminal line in the
        -- outbox; the lane moves to its next job, or goes. The line's outbox seq, or NULL when the
        -- lease was lost (another instance took the lane over and ends the job).
        CREATE FUNCTION hookline_finish(p_job bigint, p_lane text, p_instance text, p_outcome text, p_line bytea) RETURNS bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            next_job bigint;
            written bigint;
            finished_event text;
        BEGIN
            PERFORM 1 FROM hookline_lanes l WHERE l.lane = p_lane AND l.head = p_job AND l.holder = p_instance FOR UPDATE;
            IF NOT FOUND THEN
                RETURN NULL;
            END IF;
            UPDATE hookline_jobs SET done = true, outcome = p_outcome, finished_at = now() WHERE id = p_job RETURNING event_id INTO finished_event;
            INSERT INTO hookline_outbox (instance, event_id, line) VALUES (p_instance, finished_event, p_line) RETURNING seq INTO written;
            SELECT j.id INTO next_job FROM hookline_jobs j WHERE j.lane = p_lane AND NOT j.done ORDER BY j.id LIMIT 1;
            IF next_job IS NULL THEN
                DELETE FROM hookline_lanes WHERE lane = p_lane;
            ELSE
                UPDATE hookline_lanes SET head = next_job, holder = NULL, lease_until = NULL, run_after = now() WHERE lane = p_lane;
                PERFORM pg_notify('hookline_jobs', '');
            END IF;
            RETURN written;
        END $$;

        -- Holds a lane's head job until p_delay from now (a retry, or its rate-limit slot), with
        -- its attempts and reserved slots; the lane is free for whoever's turn it is then.
        CREATE FUNCTION hookline_park(
            p_job bigint, p_lane text, p_instance text, p_delay float8, p_attempt integer, p_first_attempt_ago float8,
            p_slots float8[], p_slots_target text
        ) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE hookline_lanes SET holder = NULL, lease_until = NULL, run_after = now() + make_interval(secs => p_delay)
            WHERE lane = p_lane AND head = p_job AND holder = p_instance;
            IF NOT FOUND THEN
                RETURN false;
            END IF;
            UPDATE hookline_jobs SET
                attempt = p_attempt,
                first_attempt_at = CASE WHEN p_first_attempt_ago IS NULL THEN NULL ELSE now() - make_interval(secs => p_first_attempt_ago) END,
                slots = (SELECT array_agg(now() + make_interval(secs => s)) FROM unnest(p_slots) s),
                slots_target = p_slots_target
            WHERE id = p_job;
            RETURN true;
        END $$;

        -- Reserves p_count call slots at a target (GCRA on the database's clock): each slot's
        -- delay from now, in seconds.
        CREATE FUNCTION hookline_reserve(p_target text, p_count integer, p_interval float8, p_tolerance float8)
        RETURNS float8[] LANGUAGE plpgsql AS $$
        DECLARE
            now_at timestamptz := clock_timestamp();
            step interval := make_interval(secs => p_interval);
            slack interval := make_interval(secs => p_tolerance);
            last timestamptz;
        BEGIN
            INSERT INTO hookline_rate_limits (target, tat) VALUES (p_target, now_at) ON CONFLICT (target) DO NOTHING;
            UPDATE hookline_rate_limits SET tat = greatest(tat, now_at) + step * p_count WHERE target = p_target RETURNING tat INTO last;
            RETURN ARRAY(
                SELECT extract(epoch FROM greatest(now_at, last - step * (p_count - i) - slack) - now_at)::float8
                FROM generate_series(0, p_count - 1) AS i ORDER BY i);
        END $$;

        -- A 429 from the target: no call before p_pause from now, and no burst after it.
        CREATE FUNCTION hookline_pause(p_target text, p_pause float8, p_tolerance float8) RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            until_at timestamptz := clock_timestamp() + make_interval(secs => p_pause + p_tolerance);
        BEGIN
            INSERT INTO hookline_rate_limits (target, tat) VALUES (p_target, until_at)
            ON CONFLICT (target) DO UPDATE SET tat = greatest(hookline_rate_limits.tat, until_at);
        END $$;

        """#
}
