extension PostgresSchema {
    /// The advisory lock pruning holds alone and a redrive shares (`hooklprn` in ASCII): a redrive
    /// that puts a pruned event back never races the prune that would delete it again.
    static let pruneLock: Int64 = 0x686F_6F6B_6C70_726E

    /// Fencing: every claim of a lane carries a token that grows with each claim and takeover, and
    /// finish, park, renewal, release and learned ids match it. Lanes carry their head job's route,
    /// so an instance claims only what it is configured to apply. Retention counts on the
    /// database's clock. Every statement that locks lanes takes them in lane order, then this
    /// instance's row.
    static let version3 = #"""
        CREATE SEQUENCE hookline_lease_tokens;

        ALTER TABLE hookline_lanes ADD COLUMN token bigint, ADD COLUMN route text;

        -- A job's route (`source` US `target`): the lane of its head carries it, so a claim can pass
        -- over lanes this instance has no route for.
        ALTER TABLE hookline_jobs ADD COLUMN route text, ADD COLUMN finished_token bigint;

        UPDATE hookline_jobs j SET route = e.source || chr(31) || j.target FROM hookline_events e WHERE e.id = j.event_id AND NOT j.done;

        UPDATE hookline_lanes l SET route = j.route FROM hookline_jobs j WHERE j.id = l.head;

        -- When the database stored the event, on its own clock: what retention counts from.
        ALTER TABLE hookline_events ADD COLUMN stored_at timestamptz NOT NULL DEFAULT now();

        CREATE INDEX hookline_events_stored ON hookline_events (stored_at);

        DROP INDEX hookline_events_received;

        -- Targets whose last outcome may be redriven, found without reading every job.
        CREATE INDEX hookline_jobs_unsuccessful ON hookline_jobs (finished_at) WHERE outcome IN ('dead', 'failed');

        -- An instance whose workers wait with nothing to claim: only then is a NOTIFY worth sending.
        ALTER TABLE hookline_instances ADD COLUMN idle boolean NOT NULL DEFAULT false;

        -- A target's 429 pause, apart from its GCRA: slots reserved before the pause are checked against it.
        ALTER TABLE hookline_rate_limits ADD COLUMN paused_until timestamptz;

        DROP FUNCTION hookline_accept(text, text[], text[], text[], text[], text[], text[], timestamptz[], bytea[], boolean[], bytea[],
                                      text[], text[], text[], text[], integer[], integer[]);

        DROP FUNCTION hookline_claim(text, interval, integer);

        DROP FUNCTION hookline_finish(bigint, text, text, text, bytea);

        DROP FUNCTION hookline_park(bigint, text, text, float8, integer, float8, float8[], text);

        -- Wakes the idle workers of other instances, if any wait.
        CREATE FUNCTION hookline_wake_others(p_instance text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM hookline_instances i WHERE i.idle AND i.name <> p_instance) THEN
                PERFORM pg_notify('hookline_jobs', '');
            END IF;
        END $$;

        -- Accepts a batch: each event is inserted unless its message id is known (then its original
        -- is returned), and the jobs of every event inserted (or redriven) go in with their lanes,
        -- upserted in lane order after their jobs, so a concurrent finish either sees the new jobs
        -- or leaves no lane for them to miss. A redriven event whose row pruning took is put back
        -- (under the prune lock, shared), so no job ever waits on a missing event.
        CREATE FUNCTION hookline_accept(
            p_instance text,
            e_id text[], e_source text[], e_message text[], e_type text[], e_contact text[], e_targets text[],
            e_received timestamptz[], e_payload bytea[], e_redrive boolean[], e_line bytea[],
            j_event text[], j_target text[], j_lane text[], j_opening text[], j_attempt integer[], j_budget integer[], j_route text[]
        ) RETURNS TABLE (event_id text, original text, seq bigint) LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            kept text[] := '{}';
            existing text;
            sharing boolean := false;
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
                ELSE
                    IF NOT sharing THEN
                        PERFORM pg_advisory_xact_lock_shared(\#(pruneLock));
                        sharing := true;
                    END IF;
                    INSERT INTO hookline_events (id, source, message, type, contact, targets, received_at, payload, accepted_by)
                    VALUES (e_id[i], e_source[i], nullif(e_message[i], ''), e_type[i], e_contact[i], string_to_array(e_targets[i], ','),
                            e_received[i], e_payload[i], p_instance)
                    ON CONFLICT DO NOTHING;
                    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM hookline_events e WHERE e.id = e_id[i]) THEN
                        -- Pruned, and its message id now names a later event: back without it.
                        INSERT INTO hookline_events (id, source, message, type, contact, targets, received_at, payload, accepted_by)
                        VALUES (e_id[i], e_source[i], NULL, e_type[i], e_contact[i], string_to_array(e_targets[i], ','),
                                e_received[i], e_payload[i], p_instance);
                    END IF;
                END IF;
                kept := kept || e_id[i];
                INSERT INTO hookline_outbox (instance, event_id, line) VALUES (p_instance, e_id[i], e_line[i]) RETURNING hookline_outbox.seq INTO seq;
                event_id := e_id[i];
                original := NULL;
                RETURN NEXT;
            END LOOP;
            WITH new_jobs AS (
                INSERT INTO hookline_jobs (event_id, target, lane, opening, attempt, budget_start, route)
                SELECT j.e, j.t, j.l, j.o, j.a, j.b, j.r
                FROM unnest(j_event, j_target, j_lane, j_opening, j_attempt, j_budget, j_route) WITH ORDINALITY AS j(e, t, l, o, a, b, r, n)
                WHERE j.e = ANY (kept)
                ORDER BY j.n
                RETURNING id, lane, route
            )
            INSERT INTO hookline_lanes (lane, head, run_after, route)
            SELECT DISTINCT ON (n.lane) n.lane, n.id, now(), n.route FROM new_jobs n ORDER BY n.lane, n.id
            ON CONFLICT (lane) DO UPDATE SET lane = excluded.lane;
            IF array_length(kept, 1) > 0 THEN
                PERFORM hookline_wake_others(p_instance);
            END IF;
        END $$;

        -- The head job of each lane named, with its event (NULL when the event is gone), as a claim
        -- hands it to a worker.
        CREATE FUNCTION hookline_heads(p_lanes text[], p_previous text[])
        RETURNS TABLE (
            job bigint, lane text, token bigint, previous text, event_id text, target text, opening text, attempt integer,
            budget_start integer, first_attempt_ago float8, slots float8[], slots_target text,
            source text, message text, type text, contact text, targets text[], received_at timestamptz, payload bytea
        ) LANGUAGE sql STABLE AS $$
            SELECT j.id, l.lane, l.token, nullif(p.previous, ''), j.event_id, j.target, j.opening, j.attempt, j.budget_start,
                   extract(epoch FROM now() - j.first_attempt_at)::float8,
                   (SELECT array_agg(extract(epoch FROM s - now())::float8) FROM unnest(j.slots) s), j.slots_target,
                   e.source, e.message, e.type, e.contact, e.targets, e.received_at, e.payload
            FROM unnest(p_lanes, p_previous) AS p(lane, previous)
            JOIN hookline_lanes l ON l.lane = p.lane
            JOIN hookline_jobs j ON j.id = l.head
            LEFT JOIN hookline_events e ON e.id = j.event_id
        $$;

        -- Claims up to p_max runnable lanes of the routes in p_routes for p_instance, each under a new
        -- token: first lanes whose holder's lease ran out by this database's clock (a takeover, so a
        -- backlog never starves one), then free ones. Says whether this instance's workers now wait
        -- idle (p_waiting and nothing claimed), so accepts elsewhere know to wake it.
        CREATE FUNCTION hookline_claim(p_instance text, p_lease interval, p_max integer, p_routes text[], p_waiting boolean)
        RETURNS TABLE (
            job bigint, lane text, token bigint, previous text, event_id text, target text, opening text, attempt integer,
            budget_start integer, first_attempt_ago float8, slots float8[], slots_target text,
            source text, message text, type text, contact text, targets text[], received_at timestamptz, payload bytea
        ) LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            picked text[];
            previous_holders text[];
            idle_now boolean;
        BEGIN
            SELECT coalesce(array_agg(l.lane), '{}'), coalesce(array_agg(l.holder), '{}') INTO picked, previous_holders FROM (
                SELECT h.lane, h.holder FROM hookline_lanes h
                WHERE h.holder IS NOT NULL AND h.lease_until < now() AND h.run_after <= now() AND (h.route IS NULL OR h.route = ANY (p_routes))
                ORDER BY h.lease_until LIMIT p_max FOR UPDATE SKIP LOCKED
            ) l;
            IF array_length(picked, 1) IS NULL OR array_length(picked, 1) < p_max THEN
                SELECT picked || coalesce(array_agg(l.lane), '{}'), previous_holders || coalesce(array_agg(''::text), '{}')
                INTO picked, previous_holders FROM (
                    SELECT f.lane FROM hookline_lanes f
                    WHERE f.holder IS NULL AND f.run_after <= now() AND (f.route IS NULL OR f.route = ANY (p_routes))
                    ORDER BY f.run_after LIMIT p_max - coalesce(array_length(picked, 1), 0) FOR UPDATE SKIP LOCKED
                ) l;
            END IF;
            IF array_length(picked, 1) IS NOT NULL THEN
                UPDATE hookline_lanes l SET holder = p_instance, token = nextval('hookline_lease_tokens'), lease_until = now() + p_lease
                WHERE l.lane = ANY (picked);
            END IF;
            idle_now := p_waiting AND array_length(picked, 1) IS NULL;
            UPDATE hookline_instances i SET idle = idle_now WHERE i.name = p_instance AND i.idle IS DISTINCT FROM idle_now;
            IF array_length(picked, 1) IS NOT NULL THEN
                RETURN QUERY SELECT * FROM hookline_heads(picked, previous_holders);
            END IF;
        END $$;

        -- Finishes a batch of head jobs, each under its claim (lane, token) held by p_instance, with
        -- its terminal line in the outbox, and deletes the outbox rows p_instance has written to its
        -- log: one round trip and one commit. Each lane moves to its next job: kept under the same
        -- claim (its lease extended, the job handed back in the answer) when p_keep and the job's
        -- route is in p_routes, else given back; or the lane goes. Per finish: `done` with the line's
        -- seq; `again` when its claim had already ended the job (a retry whose first commit's answer
        -- was lost; its lane, if still held, is given back); `fenced` when another claim holds it.
        CREATE FUNCTION hookline_finish_batch(
            p_instance text, p_jobs bigint[], p_lanes text[], p_tokens bigint[], p_outcomes text[], p_lines bytea[],
            p_keep boolean, p_routes text[], p_lease interval, p_written bigint[]
        ) RETURNS TABLE (
            ord integer, status text, seq bigint,
            job bigint, lane text, token bigint, previous text, event_id text, target text, opening text, attempt integer,
            budget_start integer, first_attempt_ago float8, slots float8[], slots_target text,
            source text, message text, type text, contact text, targets text[], received_at timestamptz, payload bytea
        ) LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            held text[];
        BEGIN
            IF coalesce(array_length(p_written, 1), 0) > 0 THEN
                DELETE FROM hookline_outbox o WHERE o.seq = ANY (p_written) AND o.instance = p_instance;
            END IF;
            -- The lanes still held under each finish's claim, locked in lane order. The statement
            -- after reads with a snapshot taken once they are locked: a job an accept added to one
            -- meanwhile is seen, and the lane moves to it instead of going.
            SELECT coalesce(array_agg(x.lane), '{}') INTO held FROM (
                SELECT l.lane FROM hookline_lanes l JOIN unnest(p_jobs, p_lanes, p_tokens) AS i(job, lane, token)
                  ON l.lane = i.lane AND l.head = i.job AND l.token = i.token AND l.holder = p_instance
                WHERE l.lane = ANY (p_lanes)
                ORDER BY l.lane FOR UPDATE OF l
            ) x;
            -- Finished already under the same claim: its lane (kept then) is given back.
            UPDATE hookline_lanes l SET holder = NULL, lease_until = NULL
            FROM unnest(p_jobs, p_lanes, p_tokens) AS i(job, lane, token)
            WHERE l.lane = ANY (p_lanes) AND NOT (i.lane = ANY (held)) AND l.lane = i.lane AND l.token = i.token AND l.holder = p_instance
              AND EXISTS (SELECT 1 FROM hookline_jobs j WHERE j.id = i.job AND j.done AND j.finished_token = i.token);
            RETURN QUERY
            WITH items AS (
                SELECT i.job, i.lane, i.token, i.outcome, i.line, i.n::integer AS n, i.lane = ANY (held) AS mine
                FROM unnest(p_jobs, p_lanes, p_tokens, p_outcomes, p_lines) WITH ORDINALITY AS i(job, lane, token, outcome, line, n)
            ), done AS (
                UPDATE hookline_jobs j SET done = true, outcome = i.outcome, finished_at = now(), finished_token = i.token
                FROM items i WHERE i.mine AND j.id = i.job
                RETURNING i.n, j.event_id
            ), written AS (
                -- Inserted in item order, so the k-th seq is the k-th finished item's.
                INSERT INTO hookline_outbox (instance, event_id, line)
                SELECT p_instance, d.event_id, i.line FROM done d JOIN items i ON i.n = d.n ORDER BY d.n
                RETURNING hookline_outbox.seq AS written_seq
            ), seqs AS (
                SELECT d.n, w.written_seq
                FROM (SELECT d.n, row_number() OVER (ORDER BY d.n) AS k FROM done d) d
                JOIN (SELECT w.written_seq, row_number() OVER (ORDER BY w.written_seq) AS k FROM written w) w ON w.k = d.k
            ), nexts AS (
                SELECT DISTINCT ON (j.lane) j.lane, j.id, j.route,
                       p_keep AND (j.route IS NULL OR j.route = ANY (p_routes)) AS keep
                FROM hookline_jobs j JOIN items i ON i.mine AND j.lane = i.lane
                WHERE j.lane = ANY (held) AND NOT j.done AND j.id <> i.job
                ORDER BY j.lane, j.id
            ), moved AS (
                UPDATE hookline_lanes l SET head = x.id, route = x.route, run_after = now(),
                    holder = CASE WHEN x.keep THEN l.holder END,
                    lease_until = CASE WHEN x.keep THEN greatest(l.lease_until, now() + p_lease) END
                FROM nexts x WHERE l.lane = ANY (held) AND l.lane = x.lane
            ), gone AS (
                DELETE FROM hookline_lanes l USING items i
                WHERE l.lane = ANY (held) AND i.mine AND l.lane = i.lane AND NOT EXISTS (SELECT 1 FROM nexts x WHERE x.lane = i.lane)
            )
            SELECT i.n,
                   CASE WHEN i.mine THEN 'done'
                        WHEN EXISTS (SELECT 1 FROM hookline_jobs f WHERE f.id = i.job AND f.done AND f.finished_token = i.token) THEN 'again'
                        ELSE 'fenced' END,
                   s.written_seq,
                   j.id, CASE WHEN j.id IS NULL THEN NULL ELSE i.lane END, CASE WHEN j.id IS NULL THEN NULL ELSE i.token END, NULL::text,
                   j.event_id, j.target, j.opening, j.attempt, j.budget_start,
                   extract(epoch FROM now() - j.first_attempt_at)::float8,
                   (SELECT array_agg(extract(epoch FROM sl - now())::float8) FROM unnest(j.slots) sl), j.slots_target,
                   e.source, e.message, e.type, e.contact, e.targets, e.received_at, e.payload
            FROM items i
            LEFT JOIN seqs s ON s.n = i.n
            LEFT JOIN nexts x ON i.mine AND x.lane = i.lane AND x.keep
            LEFT JOIN hookline_jobs j ON j.id = x.id
            LEFT JOIN hookline_events e ON e.id = j.event_id
            ORDER BY i.n;
            -- Lanes given back with a next job: another instance's idle workers may take them.
            IF EXISTS (SELECT 1 FROM hookline_lanes l WHERE l.lane = ANY (held) AND l.holder IS NULL) THEN
                PERFORM hookline_wake_others(p_instance);
            END IF;
        END $$;

        -- Holds a lane's head job until p_delay from now (a retry, or its rate-limit slot), with its
        -- attempts and reserved slots, if claim (p_lane, p_token) still holds it; the lane is free for
        -- whoever's turn it is then. Repeating it (a lost answer) changes nothing more.
        CREATE FUNCTION hookline_park(
            p_job bigint, p_lane text, p_token bigint, p_delay float8, p_attempt integer, p_first_attempt_ago float8,
            p_slots float8[], p_slots_target text
        ) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE hookline_lanes SET holder = NULL, lease_until = NULL, run_after = now() + make_interval(secs => p_delay)
            WHERE lane = p_lane AND head = p_job AND token = p_token;
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

        -- Extends the leases of the claims p_instance still holds, in lane order, never shortening
        -- one; says it is still here. Returns the claims renewed, and a first row (lane NULL) saying
        -- whether this instance's row had to be made anew: another instance adopted it meanwhile.
        CREATE FUNCTION hookline_renew(p_instance text, p_lanes text[], p_tokens bigint[], p_lease interval)
        RETURNS TABLE (lane text, token bigint, adopted boolean) LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            renewed_lanes text[];
            renewed_tokens bigint[];
            made boolean;
        BEGIN
            WITH mine AS (
                SELECT l.lane FROM hookline_lanes l JOIN unnest(p_lanes, p_tokens) AS r(lane, token) ON l.lane = r.lane AND l.token = r.token
                WHERE l.lane = ANY (p_lanes) AND l.holder = p_instance ORDER BY l.lane FOR UPDATE OF l
            ), renewed AS (
                UPDATE hookline_lanes l SET lease_until = greatest(l.lease_until, now() + p_lease) FROM mine WHERE l.lane = ANY (p_lanes) AND l.lane = mine.lane
                RETURNING l.lane, l.token
            )
            SELECT array_agg(r.lane), array_agg(r.token) INTO renewed_lanes, renewed_tokens FROM renewed r;
            INSERT INTO hookline_instances AS i (name, seen_at) VALUES (p_instance, now())
            ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at
            RETURNING (i.xmax = 0) INTO made;
            RETURN QUERY SELECT NULL::text, NULL::bigint, made;
            RETURN QUERY SELECT u.lane, u.token, made FROM unnest(coalesce(renewed_lanes, '{}'), coalesce(renewed_tokens, '{}')) AS u(lane, token);
        END $$;

        -- Gives back lanes claimed and never started (their lease can no longer cover a call), in
        -- lane order, where the claim still holds them.
        CREATE FUNCTION hookline_release(p_instance text, p_lanes text[], p_tokens bigint[]) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            given integer;
        BEGIN
            WITH mine AS (
                SELECT l.lane FROM hookline_lanes l JOIN unnest(p_lanes, p_tokens) AS r(lane, token) ON l.lane = r.lane AND l.token = r.token
                WHERE l.lane = ANY (p_lanes) AND l.holder = p_instance ORDER BY l.lane FOR UPDATE OF l
            )
            UPDATE hookline_lanes l SET holder = NULL, lease_until = NULL FROM mine WHERE l.lane = ANY (p_lanes) AND l.lane = mine.lane;
            GET DIAGNOSTICS given = ROW_COUNT;
            IF given > 0 THEN
                PERFORM hookline_wake_others(p_instance);
            END IF;
            RETURN given;
        END $$;

        -- Keeps an id a call created, if claim (p_lane, p_token) still holds the lane (NULL: no
        -- claim to check): a late create by an instance that lost the lane never overwrites what the
        -- lane's new holder learned. The lane stays locked until commit, so no takeover slips between.
        CREATE FUNCTION hookline_remember(p_target text, p_key text, p_id text, p_lane text, p_token bigint) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            IF p_lane IS NOT NULL THEN
                PERFORM 1 FROM hookline_lanes l WHERE l.lane = p_lane AND l.token = p_token FOR SHARE;
                IF NOT FOUND THEN
                    RETURN false;
                END IF;
            END IF;
            INSERT INTO hookline_references (target, key, id) VALUES (p_target, p_key, p_id)
            ON CONFLICT (target, key) DO UPDATE SET id = excluded.id;
            RETURN true;
        END $$;

        -- Deletes up to p_limit finished events stored longer than p_retention ago (the database's
        -- clock), with their jobs: how many, or -1 when another instance (or a redrive) holds the
        -- prune lock.
        CREATE FUNCTION hookline_prune(p_retention interval, p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            gone integer;
        BEGIN
            IF NOT pg_try_advisory_xact_lock(\#(pruneLock)) THEN
                RETURN -1;
            END IF;
            WITH old AS (
                SELECT e.id FROM hookline_events e
                WHERE e.stored_at < now() - p_retention
                  AND NOT EXISTS (SELECT 1 FROM hookline_jobs j WHERE j.event_id = e.id AND NOT j.done)
                ORDER BY e.stored_at LIMIT p_limit
            ), jobs_gone AS (
                DELETE FROM hookline_jobs j USING old WHERE j.event_id = old.id
            )
            DELETE FROM hookline_events e USING old WHERE e.id = old.id;
            GET DIAGNOSTICS gone = ROW_COUNT;
            RETURN gone;
        END $$;

        -- A 429 from the target: no call before p_pause from now, and no burst after it; slots
        -- reserved before it are held to it too (paused_until).
        CREATE OR REPLACE FUNCTION hookline_pause(p_target text, p_pause float8, p_tolerance float8) RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            until_at timestamptz := clock_timestamp() + make_interval(secs => p_pause);
        BEGIN
            INSERT INTO hookline_rate_limits (target, tat, paused_until) VALUES (p_target, until_at + make_interval(secs => p_tolerance), until_at)
            ON CONFLICT (target) DO UPDATE SET
                tat = greatest(hookline_rate_limits.tat, excluded.tat),
                paused_until = greatest(hookline_rate_limits.paused_until, excluded.paused_until);
        END $$;

        """#
}
