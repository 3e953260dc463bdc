extension PostgresSchema {
    /// Alerts, once per fleet: each instance judges what it sees, and the instance whose change
    /// of an alert's state reaches this table first sends it (`PostgresStore.record(alert:)`).
    /// Every change sent is kept in `hookline_alert_log`, for the console.
    static let version5 = #"""
        CREATE TABLE hookline_alerts (
            rule text NOT NULL,
            subject text NOT NULL,
            state text NOT NULL,
            since timestamptz NOT NULL,
            sent_at timestamptz NOT NULL,
            sent_by text NOT NULL,
            PRIMARY KEY (rule, subject)
        );

        CREATE TABLE hookline_alert_log (
            id bigserial PRIMARY KEY,
            rule text NOT NULL,
            subject_kind text NOT NULL,
            subject text NOT NULL,
            state text NOT NULL,
            since timestamptz NOT NULL,
            sent_at timestamptz NOT NULL DEFAULT now(),
            sent_by text NOT NULL,
            summary text NOT NULL
        );

        -- Records a change of an alert's state (or, with p_repeat_secs, a repeat) and says
        -- whether the caller sends it: a firing or warning not already the row's state; a
        -- recovery of a row not yet recovered; a repeat once p_repeat_secs have passed since the
        -- last send. What is sent is logged.
        CREATE FUNCTION hookline_alert(
            p_rule text, p_kind text, p_subject text, p_state text, p_since timestamptz, p_repeat_secs float8,
            p_instance text, p_summary text
        ) RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE
            v_since timestamptz;
        BEGIN
            IF p_repeat_secs IS NOT NULL THEN
                UPDATE hookline_alerts SET sent_at = now(), sent_by = p_instance
                WHERE rule = p_rule AND subject = p_subject AND state = p_state
                    AND sent_at <= now() - make_interval(secs => p_repeat_secs)
                RETURNING since INTO v_since;
            ELSIF p_state = 'recovered' THEN
                UPDATE hookline_alerts SET state = 'recovered', sent_at = now(), sent_by = p_instance
                WHERE rule = p_rule AND subject = p_subject AND state <> 'recovered'
                RETURNING since INTO v_since;
            ELSE
                INSERT INTO hookline_alerts AS a (rule, subject, state, since, sent_at, sent_by)
                VALUES (p_rule, p_subject, p_state, p_since, now(), p_instance)
                ON CONFLICT (rule, subject) DO UPDATE
                    SET state = excluded.state, sent_at = now(), sent_by = excluded.sent_by,
                        since = CASE WHEN a.state = 'recovered' THEN excluded.since ELSE a.since END
                    WHERE a.state <> excluded.state
                RETURNING since INTO v_since;
            END IF;
            IF v_since IS NULL THEN
                RETURN false;
            END IF;
            INSERT INTO hookline_alert_log (rule, subject_kind, subject, state, since, sent_by, summary)
            VALUES (p_rule, p_kind, p_subject, p_state, v_since, p_instance, p_summary);
            RETURN true;
        END
        $$;
        """#
}
