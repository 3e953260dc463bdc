extension PostgresSchema {
    /// The console's lookups: events newest first (and pages of them), by contact, and each
    /// target's job ends over the last day.
    static let version6 = #"""
        CREATE INDEX hookline_events_received ON hookline_events (received_at DESC, id DESC);

        CREATE INDEX hookline_events_contact ON hookline_events (contact, received_at DESC);

        CREATE INDEX hookline_jobs_finished ON hookline_jobs (target, finished_at) INCLUDE (outcome) WHERE done;
        """#
}
